"""`[security]` of ops.toml: sign-in lock-outs, password length, API tokens (console/access/users.py,
tokens.py); console/settings.py assembles the sections."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecuritySettings(_Section):
    login_max_failures: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=1440)
    ip_max_failures: int = Field(20, ge=1, le=10000)
    ip_window_minutes: int = Field(15, ge=1, le=1440)
    min_password_length: int = Field(12, ge=8, le=128)
    api_token_days: int = Field(365, ge=1, le=3650)
    max_tokens_per_user: int = Field(20, ge=1, le=1000)
