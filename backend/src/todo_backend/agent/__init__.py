"""The chat agents: an LLM agent (OpenAI Agents SDK over the MCP tools) and a built-in one."""
