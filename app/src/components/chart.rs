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

/// The charts of the usage pages, each a bar or line of calls, in one look: the admin's
/// analytics and the team page draw theirs with these.
#[cfg(feature = "hydrate")]
pub mod calls {
    use charming::component::{Axis, Grid};
    use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
    use charming::series::{Bar, Line};
    use charming::theme::Theme;
    use charming::{Chart, WasmRenderer};

    fn grid() -> Grid {
        Grid::new()
            .left("3%")
            .right("4%")
            .bottom("3%")
            .contain_label(true)
    }

    fn base() -> Chart {
        Chart::new()
            .background_color("transparent")
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .grid(grid())
    }

    /// Calls over time: `labels` along the bottom, one point each.
    pub fn over_time(labels: Vec<String>, calls: Vec<i64>) -> Chart {
        base()
            .x_axis(Axis::new().type_(AxisType::Category).data(labels))
            .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
            .series(Line::new().name("Calls").data(calls))
    }

    /// Calls per thing (an agent), one upright bar each, names slanted to fit.
    pub fn per_column(names: Vec<String>, calls: Vec<i64>) -> Chart {
        base()
            .x_axis(
                Axis::new()
                    .type_(AxisType::Category)
                    .axis_label(AxisLabel::new().rotate(20))
                    .data(names),
            )
            .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
            .series(Bar::new().name("Calls").data(calls))
    }

    /// Calls per person, one lying bar each, the first on top.
    pub fn per_person(people: Vec<String>, calls: Vec<i64>) -> Chart {
        base()
            .x_axis(Axis::new().type_(AxisType::Value).min_interval(1))
            .y_axis(
                Axis::new()
                    .type_(AxisType::Category)
                    .inverse(true)
                    .data(people),
            )
            .series(Bar::new().name("Calls").data(calls))
    }

    /// Draws each chart into its element, when that element is on the page, in the page's
    /// theme.
    pub fn draw(charts: Vec<(&'static str, Chart)>) {
        let dark = super::dark_mode();
        for (id, chart) in charts {
            if leptos::prelude::document().get_element_by_id(id).is_none() {
                continue;
            }
            let renderer = WasmRenderer::new_opt(None, Some(300));
            let renderer = if dark {
                renderer.theme(Theme::Dark)
            } else {
                renderer
            };
            if let Err(e) = renderer.render(id, &chart) {
                leptos::logging::warn!("chart {id}: {e:?}");
            }
        }
    }
}
