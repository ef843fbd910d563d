use abetworks_types::views::UserView;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::bell::NotificationBell;
use super::theme_toggle::ThemeToggle;
use crate::api::auth::Logout;
use crate::api::role_label;
use crate::auth::use_auth;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let auth = use_auth();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Abetworks"
            </A>
            <nav aria-label="Main" class="main-nav" data-testid="main-nav">
                <A href="/marketplace">"Marketplace"</A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let session = auth.session.await.ok().flatten();
                        session.map(|session| {
                            let admin = session.user.role.is_admin();
                            // "Team" is for members of a team organisation (not a personal one).
                            let team = session.organization.team;
                            view! {
                                <A href="/my-agents">"My agents"</A>
                                <A href="/my-requests">"My requests"</A>
                                {team.then(|| view! {
                                    <A href="/team" attr:data-testid="nav-team">"Team"</A>
                                })}
                                {admin.then(|| view! {
                                    <a href="/admin" data-testid="nav-admin">"Admin"</a>
                                })}
                            }
                        })
                    })}
                </Transition>
            </nav>
            <div class="header-tools">
                <ThemeToggle/>
                <Transition fallback=|| view! { <span class="account-placeholder" aria-hidden="true"></span> }>
                    {move || Suspend::new(async move {
                        match auth.user().await {
                            Ok(Some(user)) => view! { <NotificationBell/> <AccountMenu user/> }.into_any(),
                            _ => view! { <SignInLinks/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

#[component]
fn SignInLinks() -> impl IntoView {
    let location = use_location();
    // Come back to where the visitor was, unless that is an auth page.
    let next = move || {
        let path = location.pathname.get();
        if path == "/login" || path == "/register" {
            String::new()
        } else {
            let search = location.search.get();
            let here = if search.is_empty() {
                path
            } else {
                format!("{path}?{search}")
            };
            format!("?next={}", leptos_router::location::Url::escape(&here))
        }
    };
    view! {
        <div class="auth-links">
            <a href=move || format!("/login{}", next()) class="button button-secondary" data-testid="nav-login">"Sign in"</a>
            <a href=move || format!("/register{}", next()) class="button" data-testid="nav-register">"Create account"</a>
        </div>
    }
}

/// The account button and its panel: who is signed in, the account page, sign out.
/// A disclosure (not an ARIA menu): Tab moves through it; Escape or leaving it closes it.
#[component]
fn AccountMenu(user: UserView) -> impl IntoView {
    let (open, set_open) = signal(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let container = NodeRef::<leptos::html::Div>::new();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            // A full load, so every view forgets the user.
            let _ = window().location().set_href("/login");
        }
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            set_open.set(false);
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
    };
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        use leptos::wasm_bindgen::JsCast;
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(container.get_untracked())
            .is_some_and(|(target, root)| root.contains(Some(&target)));
        if !inside {
            set_open.set(false);
        }
    };
    let initials = user.initials();
    let name = user.name.clone();
    view! {
        <div class="account-menu" node_ref=container on:keydown=on_keydown on:focusout=on_focusout>
            <button
                type="button"
                class="account-button"
                node_ref=button
                data-testid="account-menu-button"
                aria-expanded=move || open.get().to_string()
                aria-controls="account-menu-panel"
                on:click=move |_| set_open.update(|o| *o = !*o)
            >
                <span class="avatar" aria-hidden="true">{initials}</span>
                <span class="account-name">{name}</span>
                <span class="visually-hidden">" — account menu"</span>
                <span aria-hidden="true" class="chevron">"▾"</span>
            </button>
            <div
                id="account-menu-panel"
                class="account-panel"
                data-testid="account-menu"
                hidden=move || !open.get()
            >
                <p class="account-who">
                    <strong>{user.name.clone()}</strong>
                    <span class="muted">{user.email.clone()}</span>
                    <span class="badge">{role_label(user.role)}</span>
                </p>
                <ul class="account-links" on:click=move |_| set_open.set(false)>
                    <li><A href="/account">"Account & API keys"</A></li>
                    <li><A href="/my-agents">"My agents"</A></li>
                    <li><A href="/my-requests">"My requests"</A></li>
                    <li><A href="/notifications">"Notifications"</A></li>
                </ul>
                <ActionForm action=logout>
                    <button type="submit" class="button button-secondary button-block" data-testid="logout-button"
                        disabled=move || logout.pending().get()>
                        {move || if logout.pending().get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </ActionForm>
                {move || logout.value().get().and_then(Result::err).map(|e| view! {
                    <p class="error" role="alert">{e.display_message()}</p>
                })}
            </div>
        </div>
    }
}
