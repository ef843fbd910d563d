//! Charts drawn by ECharts (through charming), served from `/echarts.min.js` and loaded only
//! on the pages that draw them: waiting until the library and the chart's element are there.

/// Runs `f` once ECharts is loaded and the element `anchor` is in the document (browser only),
/// trying every 100 ms up to `tries` times.
#[cfg(feature = "hydrate")]
pub fn when_echarts_ready(anchor: &'static str, f: impl FnOnce() + 'static, tries: u32) {
    use leptos::prelude::{document, set_timeout, window};
    let loaded = web_sys::js_sys::Reflect::get(&window(), &"echarts".into())
        .map(|v| !v.is_undefined())
        .unwrap_or(false);
    // The effect can run before the suspended view is in the document: wait for it too.
    let mounted = document().get_element_by_id(anchor).is_some();
    if loaded && mounted {
        f();
        return;
    }
    // `<Script>` puts the library in the head; should it be missing (streamed without head),
    // add it here, from this site (the CSP allows 'self').
    let doc = document();
    if doc
        .query_selector("script[src='/echarts.min.js']")
        .ok()
        .flatten()
        .is_none()
    {
        if let (Ok(script), Ok(Some(head))) =
            (doc.create_element("script"), doc.query_selector("head"))
        {
            let _ = script.set_attribute("src", "/echarts.min.js");
            let _ = head.append_child(&script);
        }
    }
    if tries > 0 {
        set_timeout(
            move || when_echarts_ready(anchor, f, tries - 1),
            std::time::Duration::from_millis(100),
        );
    } else {
        leptos::logging::warn!(
            "ECharts or the chart area did not appear: the charts are not drawn"
        );
    }
}

/// Whether the page is in dark mode (the charts then use ECharts' dark theme).
#[cfg(feature = "hydrate")]
pub fn dark_mode() -> bool {
    leptos::prelude::document()
        .document_element()
        .and_then(|e| e.get_attribute("data-theme"))
        .is_some_and(|t| t == "dark")
}
