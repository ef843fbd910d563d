//! The Leptos application shared by server-side rendering and hydration.
#![recursion_limit = "512"]

pub mod api;
pub mod auth;
pub mod components;
pub mod error;
#[cfg(feature = "ssr")]
pub mod gateway_bridge;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use components::header::SiteHeader;
use pages::account::AccountPage;
use pages::admin::AdminPage;
use pages::auth::{LoginPage, RegisterPage};
use pages::background_runs::RunsPage;
use pages::invitation::InvitationPage;
use pages::marketplace::MarketplacePage;
use pages::my_agents::MyAgentsPage;
use pages::my_requests::MyRequestsPage;
use pages::not_found::NotFound;
use pages::notifications::NotificationsPage;
use pages::run::RunAgentPage;
use pages::team::TeamPage;

/// The per-request CSP nonce, put in the request's extensions by the server's middleware.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Hands the request's nonce to Leptos, which puts it on the inline hydration scripts.
#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.ico"/>
                // Sets the theme before first paint, from the site's own file (CSP-friendly).
                <script src="/theme.js"></script>
                <AutoReload options=options.clone()/>
                // The bundle's stylesheet, by its content-hashed name when the site has one.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::provide_auth();
    components::live::provide_live();
    // Lets tests (and styles) know the page is interactive.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="Abetworks — AI agents marketplace"/>
        <Router>
            <SiteHeader/>
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=NotFound>
                    // Rendered whole before it is sent (not streamed): the response's
                    // compressor then lives for one write instead of the whole render, which
                    // at 64 pages at once was most of the server's memory (`make bench`).
                    <Route path=StaticSegment("") view=MarketplacePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("marketplace") view=MarketplacePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=StaticSegment("register") view=RegisterPage/>
                    <Route path=StaticSegment("account") view=AccountPage/>
                    <Route path=StaticSegment("my-agents") view=MyAgentsPage/>
                    <Route path=StaticSegment("my-requests") view=MyRequestsPage/>
                    <Route path=StaticSegment("runs") view=RunsPage/>
                    <Route path=StaticSegment("notifications") view=NotificationsPage/>
                    <Route path=StaticSegment("team") view=TeamPage/>
                    <Route path=(StaticSegment("invitations"), ParamSegment("token")) view=InvitationPage/>
                    <Route path=(StaticSegment("agents"), ParamSegment("id"), StaticSegment("run")) view=RunAgentPage/>
                    <Route path=StaticSegment("admin") view=AdminPage/>
                    <Route path=(StaticSegment("admin"), ParamSegment("tab")) view=AdminPage/>
                </Routes>
            </main>
        </Router>
    }
}
