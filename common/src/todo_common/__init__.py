"""What both Todo Chatbot services share: JSON logs, request ids and the secret rules."""
