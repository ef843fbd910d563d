use leptos::prelude::*;
use leptos_router::components::A;

use super::theme_toggle::ThemeToggle;

#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Abetworks"
            </A>
            <nav aria-label="Main">
                <A href="/marketplace">"Marketplace"</A>
            </nav>
            <ThemeToggle/>
        </header>
    }
}
