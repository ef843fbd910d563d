//! `/agents/:id/run`: a form generated from the agent's input schema, the run with a visible
//! in-progress state, the result rendered readably, calls remaining, clear messages when the
//! license, the quota or the agent says no, and the recent executions.

use abetworks_types::enums::{ExecutionStatus, UsageSource};
use abetworks_types::views::{ExecutionView, LicenseView};
use leptos::prelude::*;

use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::quota::{remaining_text, window_limit};
use crate::api::runs::{recent_executions, run_page, RunAgent, RunPageData, StartBackgroundRun};
use crate::components::agent_icon::AgentIcon;
use crate::components::badge::{Badge, Toned};
use crate::components::feedback::{EmptyState, ErrorPanel, LoadedList, Loading};
use crate::components::json_view::{JsonView, RawOutput};
use crate::components::pool::{pool_left_text, PoolStanding};
use crate::components::schema_form::{collect, parse_schema, FormErrors, Node, SchemaFields};
use crate::components::table::{DataTable, Moment};
use crate::components::usage::{expiry_text, LicenseBadges, UsageBar};
use crate::error::{AppError, ErrorCode, FieldIssue};
use crate::pages::background_runs::BackgroundRunPanel;

#[component]
pub fn RunAgentPage() -> impl IntoView {
    let params = use_params_map();
    let agent_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let page = Resource::new(move || agent_id.get(), run_page);
    // Made here with the page rather than inside its Suspense (a resource created while another
    // resolves can race the streamed HTML during hydration); reloaded after every run.
    let history_version = RwSignal::new(0u32);
    let history = Resource::new(
        move || (agent_id.get(), history_version.get()),
        |(id, _)| recent_executions(id),
    );
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the agent…"/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! {
                        <Title text="Run an agent — Abetworks"/>
                        <section class="page-intro"><h1>"Run an agent"</h1></section>
                        <ErrorPanel error/>
                        <p><a href="/my-agents">"Back to My agents"</a></p>
                    }.into_any(),
                    Ok(data) => view! { <RunView data history history_version/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a failed run means for the user, and what they can do.
fn run_error_view(error: AppError) -> impl IntoView {
    use ErrorCode::*;
    let (title, action) = match error.code {
        QuotaExceeded => ("Call limit reached", Some(("/my-agents", "See your usage"))),
        LicenseRequired | LicenseExpired | LicenseSuspended | LicenseRevoked | Forbidden
        | KeyScopeMismatch => (
            "You cannot run this agent",
            Some(("/marketplace", "Request access in the marketplace")),
        ),
        AgentUnavailable => ("The agent service is unavailable", None),
        AgentTimeout => ("The agent took too long", None),
        AgentFailed => ("The agent failed", None),
        ValidationFailed | InvalidInput => ("Check the input", None),
        Unauthenticated => ("Your session has ended", Some(("/login", "Sign in again"))),
        RateLimited => ("Too many calls", None),
        _ => ("The run did not complete", None),
    };
    view! {
        <div class="error run-error" role="alert" data-testid="run-error" data-code=error.code.as_str()>
            <h3>{title}</h3>
            <p>{error.display_message()}</p>
            {action.map(|(href, text)| view! { <p><a href=href>{text}</a></p> })}
        </div>
    }
}

#[component]
fn RunView(
    data: RunPageData,
    history: Resource<Result<Vec<ExecutionView>, AppError>>,
    history_version: RwSignal<u32>,
) -> impl IntoView {
    let agent_id = data.agent.id.clone();
    let spec = parse_schema(&data.input_schema);
    let root = Node::new(&spec, true);
    let errors = FormErrors(RwSignal::new(Vec::<FieldIssue>::new()));
    let known_paths = RwSignal::new(Vec::<String>::new());
    let json_mode = RwSignal::new(false);
    let json_text = RwSignal::new(String::new());
    let license = RwSignal::new(data.license.clone());
    let quota_text = RwSignal::new(data.quota_text.clone());
    let pool = RwSignal::new(data.pool.clone());
    let next_source = RwSignal::new(data.next_source);
    // Neither a license nor the organisation's pool: nothing to run on.
    let unlicensed = move || license.with(|l| l.is_none()) && pool.with(|p| p.is_none());
    let run = ServerAction::<RunAgent>::new();

    // After every run: the history and the license reloaded (its counters and flags as the
    // core computes them), field messages shown.
    let license_agent = agent_id.clone();
    Effect::new(move |_| {
        let Some(outcome) = run.value().get() else {
            return;
        };
        history_version.update(|v| *v += 1);
        let agent = license_agent.clone();
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = run_page(agent).await {
                license.set(fresh.license);
                quota_text.set(fresh.quota_text);
                pool.set(fresh.pool);
                next_source.set(fresh.next_source);
            }
        });
        errors
            .0
            .set(outcome.err().map(|e| e.fields).unwrap_or_default());
    });

    let spec_for_submit = spec.clone();
    let root_for_submit = root.clone();
    // The input from the form or the JSON editor; `None` (with the messages shown) when it is
    // not valid.
    let gather = move || -> Option<serde_json::Value> {
        let input = if json_mode.get_untracked() {
            match serde_json::from_str::<serde_json::Value>(&json_text.get_untracked()) {
                Ok(v) if v.is_object() => v,
                Ok(_) => {
                    errors.0.set(vec![FieldIssue::new(
                        "input",
                        "The input must be a JSON object { … }.",
                    )]);
                    return None;
                }
                Err(e) => {
                    errors.0.set(vec![FieldIssue::new(
                        "input",
                        format!("This is not valid JSON ({e})."),
                    )]);
                    return None;
                }
            }
        } else {
            let (result, paths) = collect(&spec_for_submit, &root_for_submit);
            known_paths.set(paths);
            match result {
                Ok(v) => v,
                Err(messages) => {
                    errors.0.set(messages);
                    focus_first_invalid();
                    return None;
                }
            }
        };
        errors.0.set(Vec::new());
        Some(input)
    };
    let gather_for_background = gather.clone();
    let id_for_submit = agent_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if run.pending().get_untracked() {
            return;
        }
        let Some(input) = gather() else {
            return;
        };
        run.dispatch(RunAgent {
            agent_id: id_for_submit.clone(),
            input_json: input.to_string(),
        });
    };

    // A background run: admitted and queued at once; its panel follows it.
    let background = ServerAction::<StartBackgroundRun>::new();
    let background_run_id = RwSignal::new(None::<String>);
    let id_for_background = agent_id.clone();
    let on_background = move |_| {
        if background.pending().get_untracked() {
            return;
        }
        let Some(input) = gather_for_background() else {
            return;
        };
        background.dispatch(StartBackgroundRun {
            agent_id: id_for_background.clone(),
            input_json: input.to_string(),
        });
    };
    let background_agent = agent_id.clone();
    Effect::new(move |_| {
        let Some(outcome) = background.value().get() else {
            return;
        };
        match outcome {
            Ok(accepted) => {
                background_run_id.set(Some(accepted.run_id));
                history_version.update(|v| *v += 1);
                let agent = background_agent.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = run_page(agent).await {
                        license.set(fresh.license);
                        quota_text.set(fresh.quota_text);
                        pool.set(fresh.pool);
                        next_source.set(fresh.next_source);
                    }
                });
            }
            Err(error) => errors.0.set(error.fields),
        }
    });
    let background_pending = background.pending();

    let spec_for_toggle = spec.clone();
    let root_for_toggle = root.clone();
    let toggle_json = move |_| {
        if !json_mode.get_untracked() {
            // Start the JSON from what the form holds so far.
            let (result, _) = collect(&spec_for_toggle, &root_for_toggle);
            let value = result.unwrap_or_else(|_| serde_json::json!({}));
            json_text.set(serde_json::to_string_pretty(&value).unwrap_or_default());
        }
        errors.0.set(Vec::new());
        json_mode.update(|m| *m = !*m);
    };

    // Messages that belong to no visible field (e.g. the agent's own checks) go on top.
    let summary = move || {
        let known = known_paths.get();
        errors.0.with(|list| {
            list.iter()
                .filter(|m| json_mode.get() || !known.contains(&m.field))
                .map(|m| {
                    if m.field.is_empty() || m.field == "input" {
                        m.message.clone()
                    } else {
                        format!("{}: {}", m.field, m.message)
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let has_field_errors = move || errors.0.with(|l| !l.is_empty());

    let name = data.agent.name.clone();
    let pending = run.pending();
    view! {
        <Title text=format!("Run {} — Abetworks", data.agent.name)/>
        <section class="page-intro run-intro">
            <div class="agent-card-head">
                <AgentIcon icon=data.agent.icon.clone() name=data.agent.name.clone()/>
                <h1>{format!("Run {}", data.agent.name)}</h1>
            </div>
            <p class="muted">{data.agent.short_description.clone()}</p>
            <LicenseSummary license quota_text/>
            {move || pool.get().map(|agent| view! {
                <div class="pool-summary" data-testid="pool-summary">
                    <h2 class="small">{format!("Shared pool of {}", agent.subscription.organization_name)}</h2>
                    <PoolStanding agent/>
                </div>
            })}
        </section>

        {move || unlicensed().then(|| view! {
            <div class="notice notice-warn" data-testid="no-license">
                <h2>"You are not licensed for this agent"</h2>
                <p>"Ask for access in the marketplace. Once an administrator approves it, you can run the agent here."</p>
                <p><a class="button" href="/marketplace">"Go to the marketplace"</a></p>
            </div>
        })}

        <div class="run-layout" hidden=unlicensed>
            <section class="panel" aria-labelledby="input-heading">
                <div class="panel-head">
                    <h2 id="input-heading">"Input"</h2>
                    <button type="button" class="button button-secondary button-small" data-testid="json-toggle"
                        aria-pressed=move || json_mode.get().to_string() on:click=toggle_json>
                        {move || if json_mode.get() { "Use the form" } else { "Edit as JSON" }}
                    </button>
                </div>
                <form class="form run-form" novalidate on:submit=on_submit data-testid="run-form" aria-describedby="run-form-summary">
                    <div id="run-form-summary" class="error" role="alert" hidden=move || !has_field_errors()>
                        <p>"Please correct the input:"</p>
                        <ul>
                            {move || {
                                let items = summary();
                                if items.is_empty() {
                                    vec![view! { <li>"See the highlighted fields below."</li> }.into_any()]
                                } else {
                                    items.into_iter().map(|m| view! { <li>{m}</li> }.into_any()).collect::<Vec<_>>()
                                }
                            }}
                        </ul>
                    </div>
                    <div hidden=move || json_mode.get() data-testid="generated-fields">
                        <SchemaFields spec=spec.clone() node=root.clone() errors/>
                    </div>
                    <div class="field" hidden=move || !json_mode.get()>
                        <label for="run-json">"Input as JSON"</label>
                        <textarea id="run-json" class="code" rows="14" spellcheck="false" data-testid="run-json"
                            prop:value=move || json_text.get()
                            on:input=move |ev| json_text.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="run-actions">
                        <button type="submit" class="button" data-testid="run-button"
                            disabled=move || pending.get() aria-describedby="run-remaining">
                            {move || if pending.get() {
                                view! { <span class="spinner" aria-hidden="true"></span>"Running…" }.into_any()
                            } else {
                                view! { "Run "{name.clone()} }.into_any()
                            }}
                        </button>
                        <button type="button" class="button button-secondary" data-testid="run-background-button"
                            disabled=move || background_pending.get() on:click=on_background
                            title="Start the run and follow its progress here; it goes on if you leave the page">
                            {move || if background_pending.get() { "Starting…" } else { "Run in background" }}
                        </button>
                        <span id="run-remaining" class="muted" data-testid="remaining"
                            data-source=move || next_remaining(license, pool, next_source).0>
                            {move || next_remaining(license, pool, next_source).1}
                        </span>
                    </div>
                </form>
            </section>

            <section class="panel" aria-labelledby="result-heading" aria-busy=move || pending.get().to_string()>
                <h2 id="result-heading">"Result"</h2>
                {move || {
                    if pending.get() {
                        return view! { <Loading label="Running the agent…"/> }.into_any();
                    }
                    match run.value().get() {
                        None => view! { <p class="muted" data-testid="result-empty">"Fill in the input and press Run. The result appears here."</p> }.into_any(),
                        Some(Ok(result)) => view! {
                            <p class="result-meta muted" data-testid="result-meta">
                                {format!("Finished in {} ms · execution {}", result.duration_ms, short_id(&result.execution_id))}
                            </p>
                            <JsonView value=result.output.clone()/>
                        }.into_any(),
                        Some(Err(error)) => run_error_view(error).into_any(),
                    }
                }}
            </section>
        </div>

        {move || background.value().get().and_then(Result::err).map(|error| view! {
            <section class="panel">{run_error_view(error)}</section>
        })}
        <BackgroundRunPanel run_id=background_run_id/>

        <section class="panel" id="history" aria-labelledby="history-heading">
            <h2 id="history-heading">"Recent executions"</h2>
            <LoadedList resource=history loading="Loading executions…" empty=|| view! {
                <EmptyState title="No executions yet" test_id="history-empty">
                    <p>"Your runs of this agent will be listed here."</p>
                </EmptyState>
            } ready=|list| view! { <HistoryTable list/> }/>
        </section>
    }
}

/// What is left of what the next call counts against (`next`, as the core says), next to the
/// run button, with that source's name.
fn next_remaining(
    license: RwSignal<Option<LicenseView>>,
    pool: RwSignal<Option<abetworks_types::teams::OrgAgentView>>,
    next: RwSignal<Option<UsageSource>>,
) -> (&'static str, String) {
    match next.get() {
        Some(UsageSource::License) => (
            "license",
            license.with(|l| l.as_ref().map(remaining_text).unwrap_or_default()),
        ),
        Some(UsageSource::Subscription) => (
            "subscription",
            pool.with(|p| {
                p.as_ref()
                    .map(|p| pool_left_text(&p.subscription))
                    .unwrap_or_default()
            }),
        ),
        None => ("", String::new()),
    }
}

fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

fn focus_first_invalid() {
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document()
            .query_selector("[aria-invalid='true']")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// The license's badges, usage, what is left in its window and when it resets, and expiry.
#[component]
fn LicenseSummary(
    license: RwSignal<Option<LicenseView>>,
    quota_text: RwSignal<Option<String>>,
) -> impl IntoView {
    move || {
        license.get().map(|l| {
            let used = Signal::derive(move || {
                license.with(|l| l.as_ref().map_or(0, |l| l.api_calls_used))
            });
            let limit = Signal::derive(move || license.with(|l| l.as_ref().map_or(0, window_limit)));
            view! {
                <div class="license-summary" data-testid="license-summary">
                    <LicenseBadges license=l.clone()/>
                    <UsageBar limit used label="Calls used"/>
                    <p class="quota-text" data-testid="quota-text">{move || quota_text.get().unwrap_or_default()}</p>
                    <p class="muted small">{expiry_text(&l)}</p>
                </div>
            }
        })
    }
}

#[component]
fn HistoryTable(list: Vec<ExecutionView>) -> impl IntoView {
    view! {
        <DataTable class="data-table stack-on-mobile" test_id="history-table"
            caption="Your most recent executions of this agent, newest first" columns=&["Started", "Status", "Duration", "Output"]>
            <tbody>
                {list.into_iter().map(|execution| view! { <HistoryRow execution/> }).collect_view()}
            </tbody>
        </DataTable>
    }
}

#[component]
fn HistoryRow(execution: ExecutionView) -> impl IntoView {
    // Not yet finished reads as running, whether or not the agent has started.
    let label = match execution.status {
        ExecutionStatus::Succeeded => "Succeeded",
        ExecutionStatus::Failed => "Failed",
        ExecutionStatus::Abandoned => "Abandoned",
        ExecutionStatus::Cancelled => "Cancelled",
        ExecutionStatus::Queued => "Queued",
        ExecutionStatus::Running | ExecutionStatus::Pending => "Running",
    };
    let detail = match (&execution.output, &execution.error_code) {
        (Some(output), _) => view! { <RawOutput output=output.clone()/> }.into_any(),
        (None, Some(code)) => view! { <code>{code.clone()}</code> }.into_any(),
        (None, None) => "—".into_any(),
    };
    view! {
        <tr data-testid="history-row" data-status=execution.status.as_str()>
            <td data-label="Started"><Moment at=execution.created_at/></td>
            <td data-label="Status"><Badge label tone=execution.status.tone()/></td>
            <td data-label="Duration">{execution.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".to_owned())}</td>
            <td data-label="Output">{detail}</td>
        </tr>
    }
}
