"""A user's API tokens for MCP clients (`api_tokens`): create (shown once), list, revoke.

Managed with a sign-in token only: an API token cannot make more of itself."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from todo_backend.api.deps import OwnerId, ReadsDep, SessionDep
from todo_backend.api.errors import error_responses
from todo_backend.api_tokens import (
    MAX_API_TOKENS_PER_USER,
    api_token_hash,
    expiry_after,
    new_api_token,
)
from todo_backend.data import users
from todo_backend.models import ID_MAX, ID_MIN, ApiTokenCreate, ApiTokenCreated, ApiTokenPublic
from todo_backend.quotas import QuotaExceededError

router = APIRouter(
    prefix="/api/{user_id}/tokens", tags=["api tokens"], responses=error_responses(401, 403)
)

ApiTokenIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The API token's id")]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(409, 422))
async def create_api_token(
    user_id: OwnerId, body: ApiTokenCreate, session: SessionDep
) -> ApiTokenCreated:
    """A new API token for an MCP client, valid on `/mcp` only. The token is in this answer
    and never again (only its hash is kept): copy it now."""
    token = new_api_token()
    created = await users.create_api_token(
        session,
        user_id=user_id,
        name=body.name,
        token_hash=api_token_hash(token),
        expires_at=expiry_after(body.expires_in_days),
        max_tokens=MAX_API_TOKENS_PER_USER,
    )
    if created is None:
        raise QuotaExceededError(
            f"You have {MAX_API_TOKENS_PER_USER} API tokens, the most allowed: "
            "revoke one to create another"
        )
    await session.commit()
    return ApiTokenCreated(**created, token=token)


@router.get("")
async def list_api_tokens(user_id: OwnerId, reads: ReadsDep) -> list[ApiTokenPublic]:
    """The user's API tokens, newest first: names and dates, never the tokens themselves."""
    rows = await users.list_api_tokens(reads, user_id=user_id)
    return [ApiTokenPublic.model_validate(row) for row in rows]


@router.delete(
    "/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
async def revoke_api_token(
    user_id: OwnerId, token_id: ApiTokenIdPath, session: SessionDep
) -> Response:
    """Revoke the token: the next MCP request made with it is refused."""
    if not await users.delete_api_token(session, user_id=user_id, token_id=token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"API token {token_id} not found")
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
