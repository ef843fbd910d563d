//! Background runs in the browser: the run page's panel that follows one run (its status,
//! live progress, a Cancel button and the result), and `/runs`, the caller's runs.
//!
//! The panel follows the run's event stream (`GET /api/runs/{runId}/events`): each event — a
//! status change, progress, the output or an error — fetches the run again through a server
//! function, and the stream is closed once the run has finished. Where the browser cannot open
//! the stream, the panel polls every second instead.

use std::time::Duration;

use abetworks_types::views::RunView;
use leptos::prelude::*;

use crate::api::runs::{background_run, cancel_background_run, my_background_runs};
use crate::components::badge::StatusWords;
use crate::components::feedback::{EmptyState, ErrorPanel, LoadedList, Loading};
use crate::components::json_view::{JsonView, RawOutput};
use crate::components::page_intro::PageIntro;
use crate::components::table::{DataTable, Moment};
use crate::error::AppError;

/// How often an unfinished run is looked at again.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Fetches run `id` into `current`, then again after [`POLL_EVERY`] until it has finished, the
/// panel follows another run, or the panel is gone.
fn follow(
    run_id: RwSignal<Option<String>>,
    id: String,
    current: RwSignal<Option<Result<RunView, AppError>>>,
) {
    leptos::task::spawn_local(async move {
        let fetched = background_run(id.clone()).await;
        if run_id.try_get_untracked().flatten().as_deref() != Some(id.as_str()) {
            return;
        }
        let finished = matches!(&fetched, Ok(run) if run.is_finished());
        current.try_set(Some(fetched));
        if !finished {
            set_timeout(move || follow(run_id, id, current), POLL_EVERY);
        }
    });
}

/// Fetches run `id` into `current` whenever its event stream says something happened (and
/// when the connection drops, so nothing is missed); closes the stream once the run has
/// finished, and when the panel follows another run or is gone. Polls when the browser cannot
/// open the stream.
fn follow_events(
    run_id: RwSignal<Option<String>>,
    id: String,
    current: RwSignal<Option<Result<RunView, AppError>>>,
) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    let Ok(source) = web_sys::EventSource::new(&format!("/api/runs/{id}/events")) else {
        follow(run_id, id, current);
        return;
    };
    let refetch = {
        let source = source.clone();
        Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            let (source, id) = (source.clone(), id.clone());
            leptos::task::spawn_local(async move {
                let fetched = background_run(id.clone()).await;
                if run_id.try_get_untracked().flatten().as_deref() != Some(id.as_str()) {
                    return;
                }
                if matches!(&fetched, Ok(run) if run.is_finished()) {
                    source.close();
                }
                current.try_set(Some(fetched));
            });
        })
    };
    // `error` is both the run's own error event and a dropped connection: either way, look.
    for kind in ["status", "progress", "output", "error"] {
        let _ = source.add_event_listener_with_callback(kind, refetch.as_ref().unchecked_ref());
    }
    // Browser-only values, closed and dropped on the thread that made them.
    let held = send_wrapper::SendWrapper::new((source, refetch));
    on_cleanup(move || {
        let (source, _listener) = held.take();
        source.close();
    });
}

/// "120 of 2,000 (6 %) · Scored 120 leads".
fn progress_text(run: &RunView) -> String {
    match &run.progress {
        None if run.status.is_finished() => String::new(),
        None => "Waiting for the agent's first report…".into(),
        Some(p) => {
            let percent = if p.total > 0 {
                format!(" ({} %)", p.done * 100 / p.total)
            } else {
                String::new()
            };
            let message = p
                .message
                .as_deref()
                .map(|m| format!(" · {m}"))
                .unwrap_or_default();
            format!("{} of {}{percent}{message}", p.done, p.total)
        }
    }
}

/// The run that `run_id` names, followed live: hidden until a run is started.
#[component]
pub fn BackgroundRunPanel(run_id: RwSignal<Option<String>>) -> impl IntoView {
    let current = RwSignal::new(None::<Result<RunView, AppError>>);
    let cancelling = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(id) = run_id.get() {
            current.set(None);
            follow_events(run_id, id, current);
        }
    });
    let cancel = move |_| {
        let Some(id) = run_id.get_untracked() else {
            return;
        };
        cancelling.set(true);
        leptos::task::spawn_local(async move {
            let answer = cancel_background_run(id).await;
            cancelling.try_set(false);
            current.try_set(Some(answer));
        });
    };
    view! {
        <section class="panel" aria-labelledby="background-heading" data-testid="background-run"
            hidden=move || run_id.with(Option::is_none)>
            <h2 id="background-heading">"Background run"</h2>
            {move || match current.get() {
                None => view! { <Loading label="Starting the run…"/> }.into_any(),
                Some(Err(error)) => view! { <ErrorPanel error/> }.into_any(),
                Some(Ok(run)) => {
                    let (done, total) = run
                        .progress
                        .as_ref()
                        .map_or((0, 1), |p| (p.done, p.total.max(1)));
                    let finished = run.is_finished();
                    view! {
                        <div role="status" aria-live="polite" class="run-status">
                            <StatusWords status=run.status test_id="background-status"/>
                            " "
                            <span data-testid="background-progress-text">{progress_text(&run)}</span>
                        </div>
                        <progress max=total value=done data-testid="background-progress"
                            aria-label="Progress of the run"></progress>
                        {(!finished).then(|| view! {
                            <p>
                                <button type="button" class="button button-secondary button-small"
                                    data-testid="background-cancel" on:click=cancel
                                    disabled=move || cancelling.get() || run.cancel_requested>
                                    {if run.cancel_requested { "Stopping…" } else { "Cancel the run" }}
                                </button>
                            </p>
                        })}
                        {run.error.clone().map(|e| view! {
                            <p class="error" role="alert" data-testid="background-error">{e.message}</p>
                        })}
                        {run.output.clone().map(|output| view! {
                            <div data-testid="background-result"><JsonView value=output/></div>
                        })}
                    }
                    .into_any()
                }
            }}
            <p class="muted small"><a href="/runs">"All your background runs"</a></p>
        </section>
    }
}

/// `/runs`: the caller's background runs, newest first.
#[component]
pub fn RunsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let runs = Resource::new(move || version.get(), |_| my_background_runs());
    view! {
        <PageIntro title="Background runs" heading="Background runs"
            lead="The runs you started in the background: how far each has got, and its result."/>
        <p>
            <button type="button" class="button button-secondary button-small" data-testid="runs-refresh"
                on:click=move |_| version.update(|v| *v += 1)>"Refresh"</button>
            " "
            <a href="/my-agents">"Back to My agents"</a>
        </p>
        <LoadedList resource=runs loading="Loading your runs…" empty=|| view! {
            <EmptyState title="No background runs yet" test_id="runs-empty">
                <p>"On an agent's run page, press “Run in background”: the run is listed here."</p>
            </EmptyState>
        } ready={|list: Vec<RunView>| view! {
            <DataTable class="data-table stack-on-mobile" test_id="runs-table"
                caption="Your background runs, newest first" columns=&["Agent", "Status", "Progress", "Started", "Result"]>
                <tbody>
                    {list.into_iter().map(|run| view! { <RunRow run/> }).collect_view()}
                </tbody>
            </DataTable>
        }}/>
    }
}

#[component]
fn RunRow(run: RunView) -> impl IntoView {
    let href = format!("/agents/{}/run", run.agent_id);
    let result = match (&run.output, &run.error) {
        (Some(output), _) => view! { <RawOutput output=output.clone()/> }.into_any(),
        (None, Some(error)) => {
            view! { <span class="muted">{error.message.clone()}</span> }.into_any()
        }
        (None, None) => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr data-testid="run-row">
            <td data-label="Agent"><a href=href>{run.agent_name.clone()}</a></td>
            <td data-label="Status"><StatusWords status=run.status/></td>
            <td data-label="Progress">{progress_text(&run)}</td>
            <td data-label="Started"><Moment at=run.created_at/></td>
            <td data-label="Result">{result}</td>
        </tr>
    }
}
