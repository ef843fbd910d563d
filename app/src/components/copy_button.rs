//! Copies a text to the clipboard and says so.

use leptos::prelude::*;

#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] test_id: Option<String>,
) -> impl IntoView {
    // None: idle; Some(true): copied; Some(false): the browser refused.
    let (state, set_state) = signal(None::<bool>);
    let on_click = move |_| {
        let text = text.clone();
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await;
            set_state.set(Some(done.is_ok()));
            set_timeout(
                move || set_state.set(None),
                std::time::Duration::from_secs(3),
            );
        });
    };
    view! {
        <button type="button" class="button button-secondary" data-testid=test_id on:click=on_click>
            {move || match state.get() {
                Some(true) => "✓ Copied".to_owned(),
                _ => label.clone(),
            }}
        </button>
        <span class="visually-hidden" role="status">
            {move || match state.get() {
                Some(true) => "Copied to the clipboard.",
                Some(false) => "",
                None => "",
            }}
        </span>
        <span class="field-error" role="alert" hidden=move || state.get() != Some(false)>
            "The browser did not allow copying: select the text and copy it by hand."
        </span>
    }
}
