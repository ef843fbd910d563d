//! Loading, error and empty states, the same on every data view.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::error::{AppError, ErrorCode};

#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <p class="loading" role="status" data-testid="loading">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

/// An error from a server function. "Not signed in" becomes a sign-in prompt that returns
/// here afterwards.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    if error.is(ErrorCode::Unauthenticated) {
        let location = use_location();
        let next = move || {
            let path = location.pathname.get();
            let search = location.search.get();
            let here = if search.is_empty() {
                path
            } else {
                format!("{path}?{search}")
            };
            format!(
                "/login?next={}",
                leptos_router::location::Url::escape(&here)
            )
        };
        return view! {
            <div class="notice" data-testid="sign-in-required">
                <h2>"Sign in to continue"</h2>
                <p>"This page shows your own agents, requests and keys."</p>
                <p class="actions">
                    <a class="button" href=next>"Sign in"</a>
                    <a class="button button-secondary" href="/register">"Create an account"</a>
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="error" role="alert" data-testid="error">
            <p>{error.display_message()}</p>
        </div>
    }
    .into_any()
}

#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(into)] test_id: String,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid=test_id>
            <h2>{title}</h2>
            {children()}
        </div>
    }
}

/// The message for one form field, shown under it and linked with `aria-describedby`.
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="field-error" id=id hidden=move || message.get().is_none()>
            {move || message.get().unwrap_or_default()}
        </p>
    }
}
