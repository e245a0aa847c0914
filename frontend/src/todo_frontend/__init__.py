"""Todo Chatbot frontend."""
