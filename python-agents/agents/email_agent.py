"""Email Personaliser

Drafts a personalised email for every recipient from a subject and body template, and sends
them over SMTP when you give it a mail server.

Templates use Jinja syntax ({{ first_name }}, {% if company %}...{% endif %}, {{ plan |
default('Starter') }}) and are rendered in a sandbox, so a template cannot reach into the
system. Every recipient's merge fields are checked: a recipient whose template needs a field
they do not have is reported with the missing field names and is never sent a half-filled
email. Without SMTP settings the agent only returns the drafts; with them it sends the complete
ones through one SMTP connection (optional STARTTLS and login) and reports each delivery.

Features:
- Jinja templates rendered in a sandboxed environment
- Missing merge fields detected and reported per recipient
- Drafts only, or real delivery over SMTP with STARTTLS and login
- Per-recipient status: draft, sent, skipped or failed

Category: Marketing
Price cents: 900
Currency: USD
Icon: ✉️
Version: 1.0.0
"""

from __future__ import annotations

import contextvars
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Annotated, Any, Literal

from jinja2 import TemplateError, Undefined, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MergeValue = str | int | float | bool | None | list[Any] | dict[str, Any]

_missing: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "email_agent_missing", default=None
)


class RecordingUndefined(Undefined):
    """Undefined that records every missing name a template tries to print or use.

    ``{% if x %}`` and ``{{ x | default('...') }}`` stay legal for optional fields; printing,
    iterating or computing with a missing field records it (as ``user.company`` for nested
    look-ups) so all of a recipient's missing fields are reported at once.
    """

    __slots__ = ()

    def _path(self) -> str:
        return self._undefined_name or self._undefined_hint or "<unknown>"

    def _record(self) -> None:
        seen = _missing.get()
        if seen is not None and self._path() not in seen:
            seen.append(self._path())

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return RecordingUndefined(name=f"{self._path()}.{name}")

    def __getitem__(self, key: Any) -> Any:
        return RecordingUndefined(name=f"{self._path()}.{key}")

    def __str__(self) -> str:
        self._record()
        return ""

    def __iter__(self) -> Any:
        self._record()
        return iter(())

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        self._record()
        return super()._fail_with_undefined_error(*args, **kwargs)

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = __pos__ = __neg__ = __call__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = _fail_with_undefined_error
    __complex__ = __pow__ = __rpow__ = _fail_with_undefined_error


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=RecordingUndefined, autoescape=False, keep_trailing_newline=True
    )


def _check_template(value: str) -> str:
    try:
        _environment().parse(value)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" on line {line}" if line else ""
        raise ValueError(f"template syntax error{where}: {exc.message or exc}") from None
    return value


def _check_email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value) or len(value) > 254:
        raise ValueError(f"{value!r} is not a valid email address")
    return value


# An address, trimmed and checked.
Email = Annotated[str, AfterValidator(_check_email)]


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="Recipient address; also available as {{ email }}")
    name: str | None = Field(default=None, description="Display name; also {{ name }}")
    fields: dict[str, MergeValue] = Field(
        default_factory=dict, description="Merge fields for this recipient"
    )


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=587, ge=1, le=65535)
    sender: Email = Field(description="From address")
    sender_name: str | None = Field(default=None, max_length=200)
    username: str | None = None
    # Secret in the schema (writeOnly, format "password"): the platform masks it in every
    # stored or shown copy of the input; the agent still receives the real value.
    password: SecretStr | None = Field(
        default=None,
        description="Password for the SMTP login",
        json_schema_extra={"writeOnly": True},
    )
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS")
    use_ssl: bool = Field(default=False, description="Connect with implicit TLS (port 465)")
    timeout_seconds: float = Field(default=15.0, gt=0, le=60)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_template: str = Field(min_length=1, max_length=1000)
    body_template: str = Field(min_length=1, max_length=100_000)
    recipients: list[Recipient] = Field(min_length=1, max_length=1000)
    common_fields: dict[str, MergeValue] = Field(
        default_factory=dict, description="Merge fields shared by every recipient"
    )
    smtp: SmtpSettings | None = Field(
        default=None, description="Send through this server; without it only drafts are made"
    )

    @field_validator("subject_template", "body_template")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        return _check_template(value)


class EmailResult(BaseModel):
    email: str
    subject: str
    body: str
    missing_fields: list[str]
    status: Literal["draft", "sent", "skipped", "failed"]
    error: str | None = None


class Output(BaseModel):
    mode: Literal["draft", "send"]
    template_fields: list[str] = Field(description="Top-level fields the templates refer to")
    emails: list[EmailResult]
    drafted: int
    sent: int
    skipped: int
    failed: int
    smtp_error: str | None = None


def _render(template: Any, context: dict[str, Any]) -> tuple[str, list[str], str | None]:
    missing: list[str] = []
    token = _missing.set(missing)
    try:
        text = template.render(context)
        error = None
    except UndefinedError as exc:
        text, error = "", str(exc)
    except TemplateError as exc:  # e.g. a sandbox SecurityError
        text, error = "", f"{type(exc).__name__}: {exc}"
    finally:
        _missing.reset(token)
    return text, missing, error


def _message(settings: SmtpSettings, result: EmailResult, name: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((settings.sender_name or "", settings.sender))
    msg["To"] = formataddr((name or "", result.email))
    msg["Subject"] = result.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[1])
    msg.set_content(result.body)
    return msg


def _send(settings: SmtpSettings, batch: list[tuple[EmailResult, str | None]]) -> str | None:
    """Send the batch over one connection; returns a connection-level error, if any."""
    context = ssl.create_default_context()
    try:
        if settings.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with client:
            client.ehlo()
            if settings.starttls and not settings.use_ssl:
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                password = settings.password.get_secret_value() if settings.password else ""
                client.login(settings.username, password)
            for result, name in batch:
                try:
                    refused = client.send_message(_message(settings, result, name))
                except smtplib.SMTPException as exc:
                    result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
                    continue
                if refused:
                    result.status, result.error = "failed", f"refused: {refused}"
                else:
                    result.status = "sent"
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        for result, _ in batch:
            if result.status == "draft":
                result.status, result.error = "failed", error
        return error
    return None


def run(input: Input) -> Output:
    env = _environment()
    subject_t = env.from_string(input.subject_template)
    body_t = env.from_string(input.body_template)
    referenced = sorted(
        meta.find_undeclared_variables(env.parse(input.subject_template))
        | meta.find_undeclared_variables(env.parse(input.body_template))
    )

    results: list[EmailResult] = []
    to_send: list[tuple[EmailResult, str | None]] = []
    for recipient in input.recipients:
        context: dict[str, Any] = {**input.common_fields, **recipient.fields}
        context["email"] = recipient.email
        if recipient.name is not None:
            context.setdefault("name", recipient.name)
        subject, missing_s, error_s = _render(subject_t, context)
        body, missing_b, error_b = _render(body_t, context)
        missing = list(dict.fromkeys(missing_s + missing_b))
        error = error_s or error_b
        result = EmailResult(
            email=recipient.email,
            subject=" ".join(subject.split()),  # one line: no header injection
            body=body,
            missing_fields=missing,
            status="draft",
        )
        if missing or error:
            result.status = "skipped"
            result.error = error or f"missing merge field(s): {', '.join(missing)}"
        else:
            to_send.append((result, recipient.name))
        results.append(result)

    smtp_error = None
    if input.smtp is not None and to_send:
        smtp_error = _send(input.smtp, to_send)

    return Output(
        mode="send" if input.smtp is not None else "draft",
        template_fields=referenced,
        emails=results,
        drafted=sum(r.status == "draft" for r in results),
        sent=sum(r.status == "sent" for r in results),
        skipped=sum(r.status == "skipped" for r in results),
        failed=sum(r.status == "failed" for r in results),
        smtp_error=smtp_error,
    )
