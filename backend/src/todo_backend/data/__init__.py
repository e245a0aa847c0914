"""The data layer: every statement the backend sends, by subject.

- `engine`: the engine, sessions, a request's `Reads`, and `run`, through which every prebuilt
  statement goes (straight through asyncpg where that pays);
- `tasks`, `users` (users, token versions, API tokens, the per-user quota lock),
  `conversations`: the data functions of the REST API, the MCP tools and the agents alike;
- `turns`: a chat turn's statements (its messages, stored before and after the agent runs).

Every data function is keyword-only and scoped by `user_id`, so no caller can reach another
user's rows by forgetting a filter; rows come back by column name.

Who commits: a data function never commits. Its caller owns the transaction and commits it
when the unit of work is whole: a route, a tool (`tools`), the chat turn (`chat`) or the
ChatKit store (`chatkit/store.py`).
"""
