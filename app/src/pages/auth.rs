//! `/login` and `/register`. Plain forms that also work before the WASM has loaded; once
//! hydrated they submit in place, show messages next to each field and then load `next`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use leptos_router::location::Url;

use crate::api::auth::{Login, Register};
use crate::api::safe_next;
use crate::auth::use_auth;
use crate::components::feedback::{described_by, FieldError, FormError, FormFailure};
use crate::error::AppError;

/// What both forms share: where to go afterwards (`?next=`, checked), the messages of the last
/// failure, and whether a submission is on its way. Once the action succeeds the page loads
/// `next`.
#[derive(Clone, Copy)]
struct AuthForm {
    next: Memo<String>,
    failure: FormFailure,
    pending: Memo<bool>,
}

impl AuthForm {
    fn new<T: Send + Sync + 'static>(
        value: MappedSignal<Option<Result<T, AppError>>>,
        pending: Memo<bool>,
    ) -> Self {
        let query = use_query_map();
        let next = Memo::new(move |_| safe_next(query.read().get("next").as_deref()));
        Effect::new(move |_| {
            if value.with(|v| matches!(v, Some(Ok(_)))) {
                go_to(&next.get());
            }
        });
        Self {
            next,
            failure: FormFailure::of(value),
            pending,
        }
    }
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
                    auth.user().await.ok().flatten().map(|user| view! {
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

/// The card around a form (`children`), with a link to the other form that keeps `next`.
#[component]
fn AuthCard(
    title: &'static str,
    heading: &'static str,
    form: AuthForm,
    /// "New to Abetworks? ", before the link.
    switch_prompt: &'static str,
    switch_path: &'static str,
    switch_text: &'static str,
    children: Children,
) -> impl IntoView {
    let next = form.next;
    view! {
        <Title text=title/>
        <section class="auth-card">
            <h1>{heading}</h1>
            <AlreadySignedIn next=next.get_untracked()/>
            {children()}
            <p class="muted">
                {switch_prompt}
                <A href=move || format!("{switch_path}?next={}", Url::escape(&next.get()))>{switch_text}</A>
            </p>
        </section>
    }
}

/// The top of a form: where to go afterwards, and the message for the whole form.
#[component]
fn FormHead(form: AuthForm) -> impl IntoView {
    view! {
        <input type="hidden" name="next" value=move || form.next.get()/>
        <FormError message=form.failure.headline() test_id="form-error"/>
    }
}

/// A labelled input named `name`, with its error (`{id}-error`) and an optional hint
/// (`{id}-hint`).
#[component]
fn AuthField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    form: AuthForm,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<&'static str>,
    #[prop(optional)] maxlength: Option<&'static str>,
) -> impl IntoView {
    let error = form.failure.field(name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let ids = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                {..described_by(error, ids)}
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                minlength=minlength
                maxlength=maxlength
            />
            {hint.map(|text| view! { <p class="hint" id=hint_id>{text}</p> })}
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// The submit button: `busy` while the form is on its way.
#[component]
fn AuthSubmit(
    form: AuthForm,
    test_id: &'static str,
    idle: &'static str,
    busy: &'static str,
) -> impl IntoView {
    let pending = form.pending;
    view! {
        <button type="submit" class="button button-block" data-testid=test_id disabled=move || pending.get()>
            {move || if pending.get() { busy } else { idle }}
        </button>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let form = AuthForm::new(action.value(), action.pending());
    view! {
        <AuthCard title="Sign in — Abetworks" heading="Sign in" form
            switch_prompt="New to Abetworks? " switch_path="/register" switch_text="Create an account">
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="login-form">
                <FormHead form/>
                <AuthField id="login-email" label="Email" name="email" kind="email" autocomplete="username" form/>
                <AuthField id="login-password" label="Password" name="password" kind="password" autocomplete="current-password" form/>
                <AuthSubmit form test_id="login-submit" idle="Sign in" busy="Signing in…"/>
            </ActionForm>
        </AuthCard>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let form = AuthForm::new(action.value(), action.pending());
    view! {
        <AuthCard title="Create an account — Abetworks" heading="Create an account" form
            switch_prompt="Already have an account? " switch_path="/login" switch_text="Sign in">
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="register-form">
                <FormHead form/>
                <AuthField id="register-name" label="Name" name="name" kind="text" autocomplete="name" form maxlength="100"/>
                <AuthField id="register-email" label="Email" name="email" kind="email" autocomplete="email" form/>
                <AuthField id="register-password" label="Password" name="password" kind="password" autocomplete="new-password" form
                    minlength="10" hint="At least 10 characters, and not your email."/>
                <AuthSubmit form test_id="register-submit" idle="Create account" busy="Creating your account…"/>
            </ActionForm>
        </AuthCard>
    }
}
