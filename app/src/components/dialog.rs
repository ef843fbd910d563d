//! A modal dialog on the native `<dialog>` element: `showModal()` makes the page behind it
//! inert, Escape closes it, Tab cycles inside it, and focus returns to where it was.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

const FOCUSABLE: &str =
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
    select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

#[component]
pub fn Dialog(
    /// Opens and closes the dialog; set to `false` when it closes by Escape or the close button.
    open: RwSignal<bool>,
    /// The heading, also the dialog's accessible name.
    #[prop(into)]
    title: String,
    /// A unique id for the heading.
    #[prop(into)]
    id: String,
    #[prop(optional, into)] test_id: Option<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    // The element that had focus before opening, to give it back afterwards.
    // Browser-only: `None` on the server, so nothing thread-bound is ever dropped there.
    let previous = StoredValue::new(None::<SendWrapper<web_sys::HtmlElement>>);

    Effect::new(move |_| {
        use leptos::wasm_bindgen::JsCast;
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let active = document()
                    .active_element()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                previous.set_value(active.map(SendWrapper::new));
                let _ = dialog.show_modal();
                // The content renders with the dialog: move focus to its `autofocus` field once
                // it is there (showModal alone may have picked the close button).
                let dialog = dialog.clone();
                request_animation_frame(move || {
                    if let Ok(Some(target)) = dialog.query_selector("[autofocus]") {
                        if let Ok(target) = target.dyn_into::<web_sys::HtmlElement>() {
                            let _ = target.focus();
                        }
                    }
                });
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    let on_close = move |_| {
        open.set(false);
        previous.with_value(|el| {
            if let Some(el) = el {
                let _ = el.focus();
            }
        });
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        use leptos::wasm_bindgen::JsCast;
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = node.get_untracked() else {
            return;
        };
        let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
            return;
        };
        let items: Vec<web_sys::HtmlElement> = (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|e| e.offset_parent().is_some() || e.get_client_rects().length() > 0)
            .collect();
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return;
        };
        let active = document().active_element();
        let is = |el: &web_sys::HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
        };
        let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
        if ev.shift_key() && (is(first) || !inside) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (is(last) || !inside) {
            ev.prevent_default();
            let _ = first.focus();
        }
    };

    // A click on the backdrop (the dialog element itself, outside its box) closes it.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let Some(dialog) = node.get_untracked() else {
            return;
        };
        let on_dialog = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|t| t == *dialog.unchecked_ref::<web_sys::Element>());
        if on_dialog {
            let rect = dialog.get_bounding_client_rect();
            let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
            if x < rect.left() || x > rect.right() || y < rect.top() || y > rect.bottom() {
                open.set(false);
            }
        }
    };

    view! {
        <dialog
            node_ref=node
            class="dialog"
            aria-labelledby=labelled_by
            data-testid=test_id
            on:close=on_close
            on:keydown=on_keydown
            on:click=on_click
        >
            <div class="dialog-box">
                <div class="dialog-header">
                    <h2 id=title_id>{title}</h2>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Close"
                        data-testid="dialog-close"
                        on:click=move |_| open.set(false)
                    >
                        <span aria-hidden="true">"✕"</span>
                    </button>
                </div>
                <Show when=move || open.get()>{children()}</Show>
            </div>
        </dialog>
    }
}
