"""OpenAI ChatKit's protocol on top of our chat, so a ChatKit frontend works against this backend.

The official SDK (`openai-chatkit`) speaks the protocol; these modules only adapt it:
- `ids`: ChatKit's string ids for our conversations (threads) and messages (thread items);
- `store`: the SDK's Store over `data`, so there is no second store;
- `admission`: what is checked before a request runs (input, ownership), and the start of a
  message's turn (`chat.ChatTurns`: limits, quotas, the message stored);
- `replies`: one turn's agent events as ChatKit thread events;
- `server`: the SDK's server, running and finishing that turn as `/chat` does.
"""
