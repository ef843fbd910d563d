//! `/login` and `/register`. Plain forms that also work before the WASM has loaded; once
//! hydrated they submit in place, show messages next to each field and then load `next`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{Login, Register};
use crate::api::safe_next;
use crate::auth::use_auth;
use crate::components::feedback::FieldError;
use crate::error::AppError;

/// The error's message for `field`, as a signal for [`FieldError`].
fn field_message<T: Clone + Send + Sync + 'static>(
    value: MappedSignal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(e)) => e.message_for(field),
            _ => None,
        })
    })
}

/// The form-level message: anything not tied to a field.
fn form_message<T: Clone + Send + Sync + 'static>(
    value: MappedSignal<Option<Result<T, AppError>>>,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(e)) if e.fields.is_empty() => Some(e.display_message()),
            Some(Err(e)) => Some(e.message.clone()),
            _ => None,
        })
    })
}

fn go_to(next: &str) {
    // A full load: the header and every resource then see the new session.
    let _ = window().location().set_href(next);
}

/// Shown instead of the form to someone already signed in.
#[component]
fn AlreadySignedIn(next: String) -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let next = next.clone();
                Suspend::new(async move {
                    auth.user.await.ok().flatten().map(|user| view! {
                        <p class="notice" data-testid="already-signed-in">
                            "You are signed in as " <strong>{user.email}</strong> ". "
                            <a href=next>"Continue"</a>
                        </p>
                    })
                })
            }}
        </Suspense>
    }
}

/// The message for the whole form, when the failure is not about one field.
#[component]
fn FormError(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="error" role="alert" hidden=move || message.get().is_none() data-testid="form-error">
            {move || message.get().unwrap_or_default()}
        </div>
    }
}

/// A labelled input with its error (`{id}-error`) and an optional hint (`{id}-hint`).
#[component]
fn AuthField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<&'static str>,
    #[prop(optional)] maxlength: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                minlength=minlength
                maxlength=maxlength
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by
            />
            {hint.map(|text| view! { <p class="hint" id=hint_id>{text}</p> })}
            <FieldError id=error_id message=error/>
        </div>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || safe_next(query.read().get("next").as_deref());
    let action = ServerAction::<Login>::new();
    let value = action.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            go_to(&next());
        }
    });
    let email_error = field_message(value, "email");
    let password_error = field_message(value, "password");
    let message = form_message(value);
    let pending = action.pending();
    view! {
        <Title text="Sign in — Abetworks"/>
        <section class="auth-card">
            <h1>"Sign in"</h1>
            <AlreadySignedIn next=query.with_untracked(|q| safe_next(q.get("next").as_deref()))/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="login-form">
                <input type="hidden" name="next" value=next/>
                <FormError message/>
                <AuthField id="login-email" label="Email" name="email" kind="email" autocomplete="username" error=email_error/>
                <AuthField id="login-password" label="Password" name="password" kind="password" autocomplete="current-password" error=password_error/>
                <button type="submit" class="button button-block" data-testid="login-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">
                "New to Abetworks? "
                <A href=move || format!("/register?next={}", leptos_router::location::Url::escape(&next()))>"Create an account"</A>
            </p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || safe_next(query.read().get("next").as_deref());
    let action = ServerAction::<Register>::new();
    let value = action.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            go_to(&next());
        }
    });
    let name_error = field_message(value, "name");
    let email_error = field_message(value, "email");
    let password_error = field_message(value, "password");
    let message = form_message(value);
    let pending = action.pending();
    view! {
        <Title text="Create an account — Abetworks"/>
        <section class="auth-card">
            <h1>"Create an account"</h1>
            <AlreadySignedIn next=query.with_untracked(|q| safe_next(q.get("next").as_deref()))/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="register-form">
                <input type="hidden" name="next" value=next/>
                <FormError message/>
                <AuthField id="register-name" label="Name" name="name" kind="text" autocomplete="name" error=name_error maxlength="100"/>
                <AuthField id="register-email" label="Email" name="email" kind="email" autocomplete="email" error=email_error/>
                <AuthField id="register-password" label="Password" name="password" kind="password" autocomplete="new-password" error=password_error minlength="10" hint="At least 10 characters, and not your email."/>
                <button type="submit" class="button button-block" data-testid="register-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">
                "Already have an account? "
                <A href=move || format!("/login?next={}", leptos_router::location::Url::escape(&next()))>"Sign in"</A>
            </p>
        </section>
    }
}
