//! The frame every admin dialog shares: drawn in the browser only, a form with a submit
//! action, its pending state and why the last attempt failed; the yes/no confirmation; which
//! row a dialog is about; and the fields several dialogs hold.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::common::{AdminAction, ClientOnly, Outcome};
use crate::api::admin::NO_EXPIRY;
use crate::api::format_date;
use crate::components::dialog::Dialog;

/// The row a dialog is about, and whether it is open.
pub struct DialogTarget<T: Send + Sync + 'static> {
    pub subject: RwSignal<Option<T>>,
    pub open: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> DialogTarget<T> {
    pub fn new() -> Self {
        Self {
            subject: RwSignal::new(None),
            open: RwSignal::new(false),
        }
    }

    /// Opens the dialog about `subject`.
    pub fn show(self, subject: T) {
        self.subject.set(Some(subject));
        self.open.set(true);
    }

    /// What the dialog says about its subject, as `say` puts it.
    pub fn says(
        self,
        say: impl Fn(&T) -> String + Send + Sync + 'static,
    ) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
        let say = StoredValue::new(say);
        let subject = self.subject;
        move || subject.with(|s| s.as_ref().map(|s| say.with_value(|say| say(s))))
    }
}

impl<T: Send + Sync + 'static> Default for DialogTarget<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> Clone for DialogTarget<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for DialogTarget<T> {}

/// A small button among a row's actions that opens `opens`, the dialog about `about`. Plain,
/// `secondary` or `danger` (red: what it leads to is destructive); `label` is its accessible
/// name, saying which row it is about.
#[component]
pub fn DialogButton<T>(
    opens: DialogTarget<T>,
    about: T,
    text: &'static str,
    #[prop(into)] label: String,
    test_id: &'static str,
    #[prop(optional)] secondary: bool,
    #[prop(optional)] danger: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let class = match (secondary, danger) {
        (_, true) => "button button-danger button-small",
        (true, false) => "button button-secondary button-small",
        (false, false) => "button button-small",
    };
    view! {
        <button type="button" class=class data-testid=test_id aria-label=label
            on:click=move |_| opens.show(about.clone())>{text}</button>
    }
}

/// Why a dialog's last attempt failed, if it did.
#[component]
pub fn DialogProblem(problem: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        problem
            .get()
            .map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })
    }
}

/// "Cancel" and the dialog's own buttons (`children`).
#[component]
fn DialogActions(open: RwSignal<bool>, cancel: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>{cancel}</button>
            {children()}
        </div>
    }
}

/// A dialog holding a form about the target's subject: the fields (`children`), why the last
/// attempt failed, "Cancel" and the submit button, which waits while the action is pending.
/// Each time it opens, `reset` fills the fields and the last attempt is forgotten; on submit
/// `request` makes the action's input (or says what is wrong); on success the dialog closes
/// and `outcome` says `done(result)`, a failure stays in the dialog.
#[component]
pub fn FormDialog<S, T>(
    target: DialogTarget<T>,
    action: ServerAction<S>,
    outcome: RwSignal<Option<Outcome>>,
    reset: impl Fn() + 'static,
    request: impl Fn(T) -> Result<S, String> + Send + Sync + 'static,
    done: impl Fn(S::Output) -> String + 'static,
    title: &'static str,
    /// The dialog's id and test id.
    id: &'static str,
    /// The submit button's test id.
    submit_id: &'static str,
    submit_text: &'static str,
    /// What the submit button says while pending, if not `submit_text`.
    #[prop(optional)]
    busy_text: Option<&'static str>,
    /// The submit button is red: the action is destructive.
    #[prop(optional)]
    danger: bool,
    /// The form leaves the checks to `request`.
    #[prop(optional)]
    novalidate: bool,
    children: ChildrenFn,
) -> impl IntoView
where
    S: AdminAction,
    T: Clone + Send + Sync + 'static,
{
    let DialogTarget { subject, open } = target;
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if open.get() {
            reset();
            action.clear();
            problem.set(None);
        }
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(result)) => {
            open.set(false);
            outcome.set(Some(Outcome::Done(done(result))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });
    // Stored, so the view's nested closures copy a handle instead of moving them.
    let request = StoredValue::new(request);
    let children = StoredValue::new(children);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(subject) = subject.get_untracked() else {
            return;
        };
        match request.with_value(|r| r(subject)) {
            Ok(input) => {
                problem.set(None);
                action.dispatch(input);
            }
            Err(message) => problem.set(Some(message)),
        }
    };
    let class = if danger {
        "button button-danger"
    } else {
        "button"
    };
    let text = move || match busy_text {
        Some(busy) if action.pending().get() => busy,
        _ => submit_text,
    };
    view! {
        <ClientOnly>
        <Dialog open title=title id=id test_id=id>
            <form class="form" novalidate=novalidate on:submit=on_submit>
                {children.with_value(|c| c())}
                <DialogProblem problem/>
                <DialogActions open cancel="Cancel">
                    <button type="submit" class=class data-testid=submit_id disabled=move || action.pending().get()>{text}</button>
                </DialogActions>
            </form>
        </Dialog>
        </ClientOnly>
    }
}

/// A [`FormDialog`] whose one field is a note ([`NoteField`] `note_id`), under what `describe`
/// says of the target's subject. The note starts blank each time it opens; `request` makes
/// the action's input from the subject and the note (or says what is wrong).
#[component]
pub fn NoteDialog<S, T>(
    target: DialogTarget<T>,
    action: ServerAction<S>,
    outcome: RwSignal<Option<Outcome>>,
    describe: impl Fn(&T) -> String + Send + Sync + 'static,
    request: impl Fn(T, String) -> Result<S, String> + Send + Sync + 'static,
    done: impl Fn(S::Output) -> String + 'static,
    title: &'static str,
    id: &'static str,
    submit_id: &'static str,
    submit_text: &'static str,
    note_id: &'static str,
    note_label: &'static str,
    /// The note must be written: `request` checks it, the form leaves the check to it.
    #[prop(optional)]
    required: bool,
    /// The submit button is red: the action is destructive.
    #[prop(optional)]
    danger: bool,
) -> impl IntoView
where
    S: AdminAction,
    T: Clone + Send + Sync + 'static,
{
    let note = RwSignal::new(String::new());
    let about = target.says(describe);
    let request = move |subject: T| request(subject, note.get_untracked());
    view! {
        <FormDialog target action outcome reset=move || note.set(String::new()) request done
            title id submit_id submit_text danger novalidate=required>
            <p>{about}</p>
            <NoteField id=note_id label=note_label value=note required/>
        </FormDialog>
    }
}

/// A yes/no question about the target's subject, drawn in the browser only like every admin
/// dialog. `describe` says what will happen; `on_confirm` does it.
#[component]
pub fn ConfirmDialog<T>(
    target: DialogTarget<T>,
    title: &'static str,
    /// The dialog's id and test id; the confirm button's test id is `{stem}-confirm`.
    id: &'static str,
    stem: &'static str,
    describe: impl Fn(&T) -> String + Send + Sync + 'static,
    keep: &'static str,
    confirm: &'static str,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: impl Fn(T) + Send + Sync + 'static,
    /// The confirm button is red unless the action is not destructive.
    #[prop(optional)]
    not_destructive: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    // Stored, so the view's nested closures copy a handle instead of moving it.
    let on_confirm = StoredValue::new(on_confirm);
    let description = target.says(describe);
    let DialogTarget { subject, open } = target;
    let class = if not_destructive {
        "button"
    } else {
        "button button-danger"
    };
    view! {
        <ClientOnly>
        <Dialog open title=title id=id test_id=id>
            <p>{description}</p>
            <DialogActions open cancel=keep>
                <button type="button" class=class data-testid=format!("{stem}-confirm") disabled=move || pending.get()
                    on:click=move |_| { if let Some(s) = subject.get_untracked() { on_confirm.with_value(|f| f(s)); } }>
                    {confirm}
                </button>
            </DialogActions>
        </Dialog>
        </ClientOnly>
    }
}

/// An expiry edited in a dialog: filled from the one held (blank: none) and sent back as
/// that date or, left blank, as [`NO_EXPIRY`]: blank here means "no expiry", not "leave it".
#[derive(Clone, Copy)]
pub struct ExpiryEdit(RwSignal<String>);

impl ExpiryEdit {
    pub fn new() -> Self {
        Self(RwSignal::new(String::new()))
    }

    /// Shows `expires_at` (blank without one).
    pub fn fill(self, expires_at: Option<&DateTime<Utc>>) {
        self.0.set(expires_at.map(format_date).unwrap_or_default());
    }

    /// What to send as `expires_on`.
    pub fn read(self) -> String {
        let typed = self.0.get_untracked();
        if typed.trim().is_empty() {
            NO_EXPIRY.to_owned()
        } else {
            typed
        }
    }
}

impl Default for ExpiryEdit {
    fn default() -> Self {
        Self::new()
    }
}

/// The date field of an [`ExpiryEdit`], "Expires on (blank: never)"; its test id is its id.
#[component]
pub fn ExpiryEditField(id: &'static str, input: ExpiryEdit) -> impl IntoView {
    view! { <DateField id label="Expires on (blank: never)" value=input.0/> }
}

/// A date typed in a dialog or a filter form; its test id is its id.
#[component]
pub fn DateField(id: &'static str, label: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="date" data-testid=id bind:value=value/>
        </div>
    }
}

/// A note of up to 1000 characters; its test id is its id.
#[component]
pub fn NoteField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}{required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <textarea id=id data-testid=id aria-required=required.then_some("true") maxlength="1000" bind:value=value></textarea>
        </div>
    }
}
