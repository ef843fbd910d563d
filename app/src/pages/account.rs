//! `/account`: who you are, your API keys (create with name, optional agent scope and
//! optional expiry; the key text is shown once; list; revoke with confirmation) and which
//! notifications are also emailed.

use abetworks_types::views::{ApiKeyView, CreatedKey};
use leptos::prelude::*;

use super::email_settings::EmailSettings;
use crate::api::keys::{key_scope_options, list_api_keys, CreateApiKey, RevokeApiKey};
use crate::api::{format_time, role_label};
use crate::auth::use_auth;
use crate::components::badge::{Badge, Tone};
use crate::components::copy_button::CopyButton;
use crate::components::dialog::Dialog;
use crate::components::feedback::{
    described_by, EmptyState, ErrorPanel, FieldError, FormError, FormFailure, Loading,
    WaitingSelect,
};
use crate::components::page_intro::PageIntro;
use crate::components::table::DataTable;
use crate::error::{AppError, ErrorCode};

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <PageIntro title="Account" heading="Your account"/>
        <Suspense fallback=|| view! { <Loading label="Loading your account…"/> }>
            {move || Suspend::new(async move {
                match auth.user().await {
                    Ok(Some(user)) => view! {
                        <section class="panel" aria-labelledby="profile-heading">
                            <h2 id="profile-heading">"Profile"</h2>
                            <dl class="kv-list">
                                <div class="kv"><dt>"Name"</dt><dd data-testid="account-name">{user.name.clone()}</dd></div>
                                <div class="kv"><dt>"Email"</dt><dd data-testid="account-email">{user.email.clone()}</dd></div>
                                <div class="kv"><dt>"Role"</dt><dd>{role_label(user.role)}</dd></div>
                            </dl>
                        </section>
                    }.into_any(),
                    Ok(None) => view! { <ErrorPanel error=AppError::of(ErrorCode::Unauthenticated)/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
        // Created with the page, not inside the profile's Suspense: a resource made while
        // another resolves can race the streamed HTML during hydration.
        <ApiKeys/>
        <EmailSettings/>
    }
}

#[component]
fn ApiKeys() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let create_open = RwSignal::new(false);
    // The key just created: its text is kept only in this signal, never reloaded.
    let created = RwSignal::new(None::<CreatedKey>);
    Effect::new(move |_| {
        if let Some(Ok(key)) = create.value().get() {
            created.set(Some(key));
            create_open.set(false);
        }
    });
    let to_revoke = RwSignal::new(None::<ApiKeyView>);
    let revoke_open = RwSignal::new(false);
    Effect::new(move |_| {
        if !revoke_open.get() {
            to_revoke.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            revoke_open.set(false);
        }
    });

    view! {
        <Transition fallback=|| view! { <Loading label="Loading keys…"/> }>
            {move || Suspend::new(async move {
                let result = keys.await;
                // Signed out: the profile above already says how to sign in.
                if matches!(&result, Err(e) if e.is(ErrorCode::Unauthenticated)) {
                    return ().into_any();
                }
                    let listing = match result {
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No API keys yet" test_id="keys-empty">
                                <p>"Create a key to call agents from your own code."</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(list) => view! {
                            <DataTable class="data-table keys-table" test_id="keys-table"
                                columns=&["Name", "Key", "Scope", "Created", "Last used", "Expires", "Status"] actions=true>
                                <tbody>
                                    {list.into_iter().map(|key| view! {
                                        <KeyRow key on_revoke=move |k| { to_revoke.set(Some(k)); revoke.clear(); revoke_open.set(true); }/>
                                    }).collect_view()}
                                </tbody>
                            </DataTable>
                        }.into_any(),
                    };
                view! {
                    <section class="panel" aria-labelledby="keys-heading">
            <div class="panel-head">
                <h2 id="keys-heading">"API keys"</h2>
                <button
                    type="button"
                    class="button"
                    data-testid="create-key-button"
                    on:click=move |_| {
                        create.clear();
                        create_open.set(true);
                    }
                >
                    "Create key"
                </button>
            </div>
            <p class="muted">
                "Call the API with " <code>"Authorization: Bearer <key>"</code>
                ". A key can be limited to one agent and can expire."
            </p>
            {move || created.get().map(|key| view! { <NewKeyNotice key on_dismiss=move || created.set(None)/> })}
                        {listing}
                    </section>
                }
                .into_any()
            })}
        </Transition>

        <Dialog open=create_open title="Create an API key" id="create-key" test_id="create-key-dialog">
            <CreateKeyForm action=create/>
        </Dialog>

        <Dialog open=revoke_open title="Revoke this key?" id="revoke-key" test_id="revoke-key-dialog">
            {move || to_revoke.get().map(|key| {
                let id = key.id.clone();
                view! {
                    <p>
                        "The key " <strong>{key.name.clone()}</strong> " (" <code>{format!("{}…", key.prefix)}</code>
                        ") stops working at once. Programs using it will get 401 errors. This cannot be undone."
                    </p>
                    {move || revoke.value().get().and_then(Result::err).map(|e| view! {
                        <p class="error" role="alert">{e.display_message()}</p>
                    })}
                    <div class="dialog-actions">
                        <button type="button" class="button button-secondary" on:click=move |_| revoke_open.set(false)>
                            "Keep key"
                        </button>
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="confirm-revoke"
                            disabled=move || revoke.pending().get()
                            on:click=move |_| { revoke.dispatch(RevokeApiKey { id: id.clone() }); }
                        >
                            {move || if revoke.pending().get() { "Revoking…" } else { "Revoke key" }}
                        </button>
                    </div>
                }
            })}
        </Dialog>
    }
}

#[component]
fn KeyRow(
    key: ApiKeyView,
    on_revoke: impl Fn(ApiKeyView) + Send + Sync + 'static,
) -> impl IntoView {
    let (status, tone) = if key.revoked_at.is_some() {
        ("Revoked", Tone::Danger)
    } else if key.expired {
        ("Expired", Tone::Warn)
    } else {
        ("Active", Tone::Ok)
    };
    let usable = key.is_usable();
    let for_revoke = key.clone();
    let name = key.name.clone();
    view! {
        <tr data-testid="key-row" data-key-name=key.name.clone()>
            <td data-label="Name">{key.name.clone()}</td>
            <td data-label="Key"><code>{format!("{}…", key.prefix)}</code></td>
            <td data-label="Scope">{key.agent_name.clone().unwrap_or_else(|| "All your agents".to_owned())}</td>
            <td data-label="Created">{format_time(&key.created_at)}</td>
            <td data-label="Last used">{key.last_used_at.as_ref().map(format_time).unwrap_or_else(|| "Never".to_owned())}</td>
            <td data-label="Expires">{key.expires_at.as_ref().map(format_time).unwrap_or_else(|| "Never".to_owned())}</td>
            <td data-label="Status"><Badge label=status tone test_id="key-status"/></td>
            <td class="actions-cell">
                {usable.then(|| view! {
                    <button
                        type="button"
                        class="button button-secondary button-small"
                        data-testid="revoke-key"
                        on:click=move |_| on_revoke(for_revoke.clone())
                    >
                        "Revoke" <span class="visually-hidden">{format!(" key {name}")}</span>
                    </button>
                })}
            </td>
        </tr>
    }
}

/// The text of a new key, shown once with a copy button.
#[component]
fn NewKeyNotice(key: CreatedKey, on_dismiss: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let text = key.secret.clone();
    view! {
        <div class="notice notice-ok" role="status" data-testid="new-key">
            <h3>{format!("Your new key “{}”", key.key.name)}</h3>
            <p>
                <strong>"Copy it now: it will not be shown again."</strong>
                " Only a fingerprint is stored, so nobody — not even us — can show it to you later."
            </p>
            <div class="key-reveal">
                <label for="new-key-text" class="visually-hidden">"API key"</label>
                <input id="new-key-text" class="code" type="text" readonly value=text.clone() data-testid="new-key-text"
                    on:focus=move |ev| {
                        use leptos::wasm_bindgen::JsCast;
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    }
                />
                <CopyButton text=text label="Copy key" test_id="copy-key"/>
            </div>
            <button type="button" class="button button-secondary button-small" data-testid="dismiss-key" on:click=move |_| on_dismiss()>
                "I have saved it"
            </button>
        </div>
    }
}

#[component]
fn CreateKeyForm(action: ServerAction<CreateApiKey>) -> impl IntoView {
    let agents = Resource::new(|| (), |_| key_scope_options());
    let failure = FormFailure::of(action.value());
    let name_error = failure.field("name");
    let agent_error = failure.field("agentId");
    let expiry_error = failure.field("expiresAt");
    let today = js_today();
    view! {
        <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="create-key-form">
            <FormError message=failure.general()/>
            <div class="field">
                <label for="key-name">"Name" <span class="required" aria-hidden="true">" *"</span></label>
                <input id="key-name" name="name" type="text" maxlength="100" required autofocus
                    placeholder="e.g. CRM integration"
                    {..described_by(name_error, "key-name-error")}/>
                <FieldError id="key-name-error" message=name_error/>
            </div>
            <div class="field">
                <label for="key-agent">"Agent"</label>
                <Suspense fallback=|| view! { <WaitingSelect id="key-agent" name="agent_id" text="Loading agents…"/> }>
                    {move || Suspend::new(async move {
                        let list = agents.await.unwrap_or_default();
                        view! {
                            <select id="key-agent" name="agent_id" data-testid="key-agent"
                                {..described_by(agent_error, "key-agent-hint key-agent-error")}>
                                <option value="">"All agents you are licensed for"</option>
                                {list.into_iter().map(|a| view! { <option value=a.id>{a.label}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
                <p class="hint" id="key-agent-hint">"Optional: a key limited to one agent cannot call any other."</p>
                <FieldError id="key-agent-error" message=agent_error/>
            </div>
            <div class="field">
                <label for="key-expiry">"Expires on"</label>
                <input id="key-expiry" name="expires_on" type="date"
                    {..described_by(expiry_error, "key-expiry-hint key-expiry-error")} min=today/>
                <p class="hint" id="key-expiry-hint">"Optional: the key works until the end of this day (UTC). Leave empty for no expiry."</p>
                <FieldError id="key-expiry-error" message=expiry_error/>
            </div>
            <div class="dialog-actions">
                <button type="submit" class="button" data-testid="create-key-submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create key" }}
                </button>
            </div>
        </ActionForm>
    }
}

/// Today's date (UTC) for the date picker's minimum; empty on the server.
fn js_today() -> String {
    #[cfg(feature = "hydrate")]
    {
        let iso: String = js_sys_date_iso();
        iso.get(..10).unwrap_or_default().to_owned()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_date_iso() -> String {
    web_sys::js_sys::Date::new_0().to_iso_string().into()
}
