//! Loading, error and empty states, the same on every data view; and the messages of a form
//! whose server function failed.

use std::future::IntoFuture;

use abetworks_types::Page;
use leptos::attr::Attribute;
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

/// A select waiting for its options: disabled, with one empty option saying why.
#[component]
pub fn WaitingSelect(id: &'static str, name: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <select id=id name=name disabled>
            <option value="">{text}</option>
        </select>
    }
}

/// The aria wiring of a control to its message (shown by a [`FieldError`]) and hint, to spread
/// onto it: `<input {..described_by(message, "x-hint x-error")}/>`.
pub fn described_by(message: Signal<Option<String>>, ids: impl Into<String>) -> impl Attribute {
    let ids: String = ids.into();
    view! {
        <{..}
            aria-invalid=move || message.get().is_some().to_string()
            aria-describedby=ids
        />
    }
}

/// A field with a hint under its control: the label (with a "*" when `required`), the control
/// (`children`, which spreads [`hinted`]), the hint (`{id}-hint`) and the message about the
/// field (`{id}-error`, see [`FieldError`]).
#[component]
pub fn HintedField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    hint: &'static str,
    message: Signal<Option<String>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hidden: Option<Signal<bool>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" hidden=move || hidden.is_some_and(|h| h.get())>
            <label for=id.clone()>
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {children()}
            <p class="hint" id=format!("{id}-hint")>{hint}</p>
            <FieldError id=format!("{id}-error") message/>
        </div>
    }
}

/// [`described_by`] for the control of the [`HintedField`] `id`: its hint and its message.
pub fn hinted(message: Signal<Option<String>>, id: &str) -> impl Attribute {
    described_by(message, format!("{id}-hint {id}-error"))
}

/// A count typed in a form field: a whole number of 1 or more, or `message` saying so.
pub fn positive_count(text: &str, message: &str) -> Result<i64, String> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| message.to_owned())
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

/// What a resource answers once it has loaded: "Loading…" meanwhile, the error if it failed,
/// else `ready(value)`. What was shown stays up while it loads again.
#[component]
pub fn Loaded<R, T, F, V>(resource: R, #[prop(into)] loading: String, ready: F) -> impl IntoView
where
    R: IntoFuture<Output = Result<T, AppError>> + Copy + Send + Sync + 'static,
    R::IntoFuture: Send,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <Loading label=loading.clone()/> }>
            {move || {
                let ready = ready.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        Ok(value) => ready(value).into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// What may come back with nothing in it.
pub trait Listing {
    fn is_empty(&self) -> bool;
}

impl<T> Listing for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<T> Listing for Page<T> {
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A [`Loaded`] list: `empty` when there is nothing in it.
#[component]
pub fn LoadedList<R, L, F, V>(
    resource: R,
    #[prop(into)] loading: String,
    #[prop(into)] empty: ViewFn,
    ready: F,
) -> impl IntoView
where
    R: IntoFuture<Output = Result<L, AppError>> + Copy + Send + Sync + 'static,
    R::IntoFuture: Send,
    L: Listing + 'static,
    F: Fn(L) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let ready = move |list: L| {
        if list.is_empty() {
            empty.run()
        } else {
            ready(list).into_any()
        }
    };
    view! { <Loaded resource loading ready/> }
}

/// The last failure of a form's server function, for the messages next to its fields.
#[derive(Clone, Copy)]
pub struct FormFailure(Signal<Option<AppError>>);

impl FormFailure {
    pub fn of<T: Send + Sync + 'static>(value: MappedSignal<Option<Result<T, AppError>>>) -> Self {
        Self(Signal::derive(move || {
            value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
        }))
    }

    /// The message about `field`, for [`FieldError`].
    pub fn field(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0
                .with(|e| e.as_ref().and_then(|e| e.message_for(field)))
        })
    }

    /// The message of a failure that is about no field.
    pub fn general(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.with(|e| {
                e.as_ref()
                    .filter(|e| e.fields.is_empty())
                    .map(|e| e.display_message())
            })
        })
    }

    /// What the whole form says: the failure's message, whether or not fields are named.
    pub fn headline(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.with(|e| {
                e.as_ref().map(|e| {
                    if e.fields.is_empty() {
                        e.display_message()
                    } else {
                        e.message.clone()
                    }
                })
            })
        })
    }
}

/// The message for the whole form, when the failure is not about one field.
#[component]
pub fn FormError(
    message: Signal<Option<String>>,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="error" role="alert" hidden=move || message.get().is_none() data-testid=test_id>
            {move || message.get().unwrap_or_default()}
        </div>
    }
}
