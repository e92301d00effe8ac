"""Users, credentials and the caller scope they resolve to.

Visibility rules: administrators see everything; an analyst sees the tenants it is limited to
(all when unlimited); a client sees its own tenant only. Objects outside a caller's scope are
reported as not found, never as forbidden, so their existence does not leak.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.auth.models import ApiToken, User, UserTenant
from vigile.auth.passwords import hash_password, verify_password
from vigile.auth.schemas import TokenCreate, TokenOut, UserCreate, UserOut
from vigile.auth.tokens import display_prefix, generate_token, hash_token
from vigile.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role, TokenKind
from vigile.tenants import service as tenants

LOGIN_TOKEN_LIFETIME = timedelta(hours=12)
# Recording every use would turn each read into a write; a minute's precision is enough.
_LAST_USED_PRECISION = timedelta(minutes=1)


# --- users -------------------------------------------------------------------------------


def _user_tenant_ids(session: Session, user: User) -> frozenset[int] | None:
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.CLIENT:
        assert user.tenant_id is not None
        return frozenset({user.tenant_id})
    ids = session.scalars(select(UserTenant.tenant_id).where(UserTenant.user_id == user.id))
    limited = frozenset(ids)
    return limited or None


def scope_for_user(session: Session, user: User) -> CallerScope:
    """The scope of a logged-in user."""
    return CallerScope(
        principal=f"user:{user.username}",
        role=Role(user.role),
        tenant_ids=_user_tenant_ids(session, user),
        user_id=user.id,
    )


def _visible_users(scope: CallerScope) -> Select[User]:
    query = select(User)
    if scope.is_client:
        assert scope.tenant_ids is not None
        return query.where(User.tenant_id.in_(scope.tenant_ids))
    if scope.tenant_ids is not None:
        # Client users of the analyst's tenants, and the provider's staff.
        return query.where(or_(User.tenant_id.in_(scope.tenant_ids), User.tenant_id.is_(None)))
    return query


def user_out(session: Session, user: User) -> UserOut:
    """The API view of a user, with tenant slugs."""
    limited_ids = session.scalars(select(UserTenant.tenant_id).where(UserTenant.user_id == user.id))
    slugs = tenants.slugs_by_id(session, {user.tenant_id, *limited_ids} - {None})
    tenant_slug = slugs.get(user.tenant_id) if user.tenant_id is not None else None
    limited = sorted(slug for tid, slug in slugs.items() if tid != user.tenant_id)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=Role(user.role),
        tenant=tenant_slug,
        tenants=limited,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def create_user(session: Session, scope: CallerScope, data: UserCreate) -> User:
    """Create a user (administrators only)."""
    scope.require_admin()
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"user {data.username!r} already exists")
    tenant_id: int | None = None
    if data.role is Role.CLIENT:
        if not data.tenant or data.tenants:
            raise InvalidInput("a client user belongs to exactly one tenant: give `tenant`")
        tenant_id = tenants.get_tenant(session, scope, data.tenant).id
    elif data.tenant:
        raise InvalidInput("only client users have a `tenant`; limit analysts with `tenants`")
    if data.role is Role.ADMIN and data.tenants:
        raise InvalidInput("administrators cannot be limited to tenants")
    limited = [tenants.get_tenant(session, scope, slug).id for slug in data.tenants]
    user = User(
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password),
        role=data.role.value,
        tenant_id=tenant_id,
    )
    session.add(user)
    session.flush()
    session.add_all(UserTenant(user_id=user.id, tenant_id=tid) for tid in set(limited))
    session.flush()
    audit.record(
        session,
        scope,
        "user.create",
        "user",
        user.username,
        tenant_id=tenant_id,
        details={"role": user.role, "tenants": sorted(data.tenants)},
    )
    return user


def list_users(session: Session, scope: CallerScope, page: PageRequest) -> tuple[list[User], int]:
    """Users the caller may see."""
    scope.require_api()
    query = _visible_users(scope)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(page.limit).offset(page.offset))
    return list(rows), total


def get_user(session: Session, scope: CallerScope, username: str) -> User:
    """One visible user by name."""
    scope.require_api()
    user = session.scalar(_visible_users(scope).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or Unauthenticated."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthenticated("wrong username or password")
    return user


def set_password(session: Session, scope: CallerScope, username: str, password: str) -> None:
    """Change a password (administrators, or the user itself)."""
    user = get_user(session, scope, username)
    if not scope.is_admin and scope.user_id != user.id:
        raise PermissionDenied("you may only change your own password")
    user.password_hash = hash_password(password)
    audit.record(session, scope, "user.password", "user", username, tenant_id=user.tenant_id)


def ensure_first_admin(session: Session, username: str, password: str) -> bool:
    """Create the first administrator if there is no user at all. True when created."""
    if session.scalar(select(func.count()).select_from(User)):
        return False
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=Role.ADMIN.value,
        display_name="Administrator",
    )
    session.add(user)
    session.flush()
    system = CallerScope(principal="system:first-start", role=Role.ADMIN, tenant_ids=None)
    audit.record(
        session,
        system,
        "user.create",
        "user",
        username,
        tenant_id=None,
        details={"role": "admin", "first_start": True},
    )
    return True


# --- tokens ------------------------------------------------------------------------------


def token_out(session: Session, token: ApiToken) -> TokenOut:
    """The API view of a token (never the secret)."""
    slugs = tenants.slugs_by_id(session, {token.tenant_id} if token.tenant_id else set())
    return TokenOut(
        id=token.id,
        kind=TokenKind(token.kind),
        name=token.name,
        prefix=token.prefix,
        role=Role(token.role),
        username=session.scalar(select(User.username).where(User.id == token.user_id)),
        tenant=slugs.get(token.tenant_id) if token.tenant_id is not None else None,
        created_by=token.created_by,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def create_token(
    session: Session,
    scope: CallerScope,
    data: TokenCreate,
    *,
    default_days: int,
    clock: Callable[[], datetime],
) -> tuple[ApiToken, str]:
    """Create a token; returns it with its secret, which is never retrievable again."""
    scope.require_api()
    tenant_id = tenants.get_tenant(session, scope, data.tenant).id if data.tenant else None
    user: User | None = None
    if data.kind is TokenKind.INGEST:
        scope.require_provider()
        if tenant_id is None or data.username or data.role:
            raise InvalidInput("an ingest token is for exactly one tenant: give `tenant` only")
        role = Role.CLIENT
    elif data.username or (data.role is None and scope.user_id is not None):
        user = (
            get_user(session, scope, data.username)
            if data.username
            else session.get(User, scope.user_id)
        )
        assert user is not None
        if data.role is not None:
            raise InvalidInput("give either `username` or `role`, not both")
        if user.id != scope.user_id:
            scope.require_admin()
        role = Role(user.role)
        user_tenants = _user_tenant_ids(session, user)
        if tenant_id is not None and user_tenants is not None and tenant_id not in user_tenants:
            raise InvalidInput(f"user {user.username!r} has no access to tenant {data.tenant!r}")
    else:
        scope.require_admin()
        role = data.role or Role.ANALYST
        if role is Role.CLIENT and tenant_id is None:
            raise InvalidInput("a client token needs `tenant`")
        if role is Role.ADMIN and tenant_id is not None:
            raise InvalidInput("an administrator token cannot be limited to a tenant")
    secret = generate_token(data.kind)
    days = data.expires_in_days or default_days
    token = ApiToken(
        kind=data.kind.value,
        name=data.name,
        prefix=display_prefix(secret),
        token_hash=hash_token(secret),
        user_id=user.id if user else None,
        role=role.value,
        tenant_id=tenant_id,
        created_by=scope.principal,
        created_at=clock(),
        expires_at=clock() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        scope,
        "token.create",
        "token",
        token.prefix,
        tenant_id=tenant_id,
        details={
            "kind": token.kind,
            "role": token.role,
            "name": token.name,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


def _visible_tokens(scope: CallerScope) -> Select[ApiToken]:
    query = select(ApiToken)
    if scope.is_admin:
        return query
    # "Mine": a user's tokens; a token without a user sees only itself. (Comparing with a
    # None user_id would render `IS NULL` and match every user-less token.)
    if scope.user_id is not None:
        mine = ApiToken.user_id == scope.user_id
    else:
        mine = ApiToken.id == (scope.token_id if scope.token_id is not None else -1)
    if scope.is_client:
        return query.where(mine)
    if scope.tenant_ids is None:
        return query.where(or_(mine, ApiToken.tenant_id.is_not(None)))
    return query.where(or_(mine, ApiToken.tenant_id.in_(scope.tenant_ids)))


def list_tokens(
    session: Session, scope: CallerScope, page: PageRequest
) -> tuple[list[ApiToken], int]:
    """Tokens the caller may see: admins all, others their own (analysts: their tenants')."""
    scope.require_api()
    query = _visible_tokens(scope)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(ApiToken.id).limit(page.limit).offset(page.offset))
    return list(rows), total


def get_token(session: Session, scope: CallerScope, token_id: int) -> ApiToken:
    """One visible token."""
    scope.require_api()
    token = session.scalar(_visible_tokens(scope).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound(f"token {token_id} not found")
    return token


def revoke_token(
    session: Session, scope: CallerScope, token_id: int, clock: Callable[[], datetime]
) -> ApiToken:
    """Revoke a token at once (its owner, or provider staff for their tenants' tokens)."""
    token = get_token(session, scope, token_id)
    if scope.is_client and token.user_id != scope.user_id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = clock()
        audit.record(
            session, scope, "token.revoke", "token", token.prefix, tenant_id=token.tenant_id
        )
    return token


def find_token_id(session: Session, scope: CallerScope, id_or_prefix: str) -> int:
    """A token's id from its id or the prefix shown in lists."""
    if id_or_prefix.isdigit():
        return int(id_or_prefix)
    ids = list(
        session.scalars(
            _visible_tokens(scope)
            .with_only_columns(ApiToken.id)
            .where(ApiToken.prefix == id_or_prefix)
        )
    )
    if len(ids) != 1:
        raise NotFound(f"token {id_or_prefix!r} not found")
    return ids[0]


def resolve_token(session: Session, secret: str, clock: Callable[[], datetime]) -> CallerScope:
    """The scope of a bearer token, or Unauthenticated (unknown, revoked, expired)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = clock()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("invalid or revoked token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("token expired")
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_PRECISION:
        token.last_used_at = now
    kind = TokenKind(token.kind)
    if token.user_id is not None:
        user = session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise Unauthenticated("the token's user is disabled")
        base = scope_for_user(session, user)
        tenant_ids = base.tenant_ids
        if token.tenant_id is not None:
            tenant_ids = frozenset({token.tenant_id}) & (tenant_ids or {token.tenant_id})
        return CallerScope(
            principal=f"{base.principal}/token:{token.prefix}",
            role=base.role,
            tenant_ids=tenant_ids,
            user_id=user.id,
            token_id=token.id,
            token_kind=kind,
        )
    return CallerScope(
        principal=f"token:{token.prefix}",
        role=Role(token.role),
        tenant_ids=frozenset({token.tenant_id}) if token.tenant_id is not None else None,
        token_id=token.id,
        token_kind=kind,
    )


def resolve_credentials(
    session: Session, scheme: str, value: str, clock: Callable[[], datetime]
) -> CallerScope:
    """The scope of an HTTP ``Authorization`` header: ``bearer`` token or ``basic`` password."""
    if scheme == "bearer":
        return resolve_token(session, value, clock)
    if scheme == "basic":
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated("malformed Basic credentials") from exc
        return scope_for_user(session, authenticate(session, username, password))
    raise Unauthenticated(f"unsupported authorization scheme {scheme!r}")


def login(
    session: Session, username: str, password: str, clock: Callable[[], datetime]
) -> tuple[ApiToken, str]:
    """Password login: a short-lived API token acting as the user."""
    user = authenticate(session, username, password)
    scope = scope_for_user(session, user)
    secret = generate_token(TokenKind.API)
    token = ApiToken(
        kind=TokenKind.API.value,
        name="login",
        prefix=display_prefix(secret),
        token_hash=hash_token(secret),
        user_id=user.id,
        role=user.role,
        tenant_id=None,
        created_by=scope.principal,
        created_at=clock(),
        expires_at=clock() + LOGIN_TOKEN_LIFETIME,
    )
    session.add(token)
    # Expired login tokens are useless; purge them so the table does not grow with each login.
    session.execute(
        delete(ApiToken).where(
            ApiToken.name == "login", ApiToken.user_id == user.id, ApiToken.expires_at < clock()
        )
    )
    session.flush()
    return token, secret
