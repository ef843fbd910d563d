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
                <div class="error" role="alert" hidden=move || message.get().is_none() data-testid="form-error">
                    {move || message.get().unwrap_or_default()}
                </div>
                <div class="field">
                    <label for="login-email">"Email"</label>
                    <input
                        id="login-email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        aria-invalid=move || email_error.get().is_some().to_string()
                        aria-describedby="login-email-error"
                    />
                    <FieldError id="login-email-error" message=email_error/>
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=move || password_error.get().is_some().to_string()
                        aria-describedby="login-password-error"
                    />
                    <FieldError id="login-password-error" message=password_error/>
                </div>
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
                <div class="error" role="alert" hidden=move || message.get().is_none() data-testid="form-error">
                    {move || message.get().unwrap_or_default()}
                </div>
                <div class="field">
                    <label for="register-name">"Name"</label>
                    <input
                        id="register-name"
                        name="name"
                        type="text"
                        autocomplete="name"
                        required
                        maxlength="100"
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="register-name-error"
                    />
                    <FieldError id="register-name-error" message=name_error/>
                </div>
                <div class="field">
                    <label for="register-email">"Email"</label>
                    <input
                        id="register-email"
                        name="email"
                        type="email"
                        autocomplete="email"
                        required
                        aria-invalid=move || email_error.get().is_some().to_string()
                        aria-describedby="register-email-error"
                    />
                    <FieldError id="register-email-error" message=email_error/>
                </div>
                <div class="field">
                    <label for="register-password">"Password"</label>
                    <input
                        id="register-password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength="10"
                        aria-invalid=move || password_error.get().is_some().to_string()
                        aria-describedby="register-password-hint register-password-error"
                    />
                    <p class="hint" id="register-password-hint">"At least 10 characters, and not your email."</p>
                    <FieldError id="register-password-error" message=password_error/>
                </div>
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
