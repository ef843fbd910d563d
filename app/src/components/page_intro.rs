//! The top of a page: the browser tab's title, the heading and what the page is for.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageIntro(
    /// The browser tab's title, before " — Abetworks".
    title: &'static str,
    heading: &'static str,
    #[prop(optional)] lead: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Title text=format!("{title} — Abetworks")/>
        <section class="page-intro">
            <h1>{heading}</h1>
            {lead.map(|text| view! { <p class="muted">{text}</p> })}
        </section>
    }
}
