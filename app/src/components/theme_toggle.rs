use leptos::prelude::*;

const STORAGE_KEY: &str = "abetworks-theme";

/// Switches light and dark; the choice persists in localStorage. Works only once hydrated.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let (dark, set_dark) = signal(false);
    Effect::new(move |_| {
        // Runs in the browser only: read what /theme.js applied before first paint.
        if let Some(root) = document().document_element() {
            set_dark.set(root.get_attribute("data-theme").as_deref() == Some("dark"));
        }
    });
    let toggle = move |_| {
        let next = if dark.get_untracked() {
            "light"
        } else {
            "dark"
        };
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", next);
        }
        if let Ok(Some(storage)) = window().local_storage() {
            let _ = storage.set_item(STORAGE_KEY, next);
        }
        set_dark.set(next == "dark");
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="theme-toggle"
            aria-pressed=move || dark.get().to_string()
            on:click=toggle
        >
            {move || if dark.get() { "☀ Light" } else { "☾ Dark" }}
        </button>
    }
}
