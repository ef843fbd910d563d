//! Badges: a short label coloured by how it reads at a glance, and the tone of every status
//! and severity of the vocabulary.

use abetworks_types::enums::{
    AccessRequestStatus, AgentStatus, DeliveryStatus, EffectiveStatus, ExecutionStatus, Severity,
    WebhookStatus,
};
use abetworks_types::Vocabulary;
use leptos::prelude::*;

/// How a badge reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Danger,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Self::Ok => "badge badge-ok",
            Self::Warn => "badge badge-warn",
            Self::Danger => "badge badge-danger",
        }
    }
}

/// A status or severity shown as a badge, with its tone.
pub trait Toned: Vocabulary + Send + Sync {
    fn tone(self) -> Tone;
}

/// `Toned` for a vocabulary enum, by listing the values of each tone.
macro_rules! tones {
    ($enum:ty: $($tone:ident => $($value:ident)|+),+ $(,)?) => {
        impl Toned for $enum {
            fn tone(self) -> Tone {
                match self {
                    $($(Self::$value)|+ => Tone::$tone,)+
                }
            }
        }
    };
}

tones!(EffectiveStatus: Ok => Active, Warn => Suspended, Danger => Revoked | Expired);
tones!(AccessRequestStatus: Ok => Approved, Warn => Pending, Danger => Rejected);
tones!(ExecutionStatus: Ok => Succeeded, Warn => Pending | Queued | Running, Danger => Failed | Abandoned | Cancelled);
tones!(WebhookStatus: Ok => Active, Warn => Disabled, Danger => Failing);
tones!(DeliveryStatus: Ok => Succeeded, Warn => Pending, Danger => Failed);
tones!(AgentStatus: Ok => Available, Danger => Unavailable);
tones!(Severity: Ok => Low, Warn => Medium, Danger => High | Critical);

/// A vocabulary value as words: `agent_rejected_input` → "Agent rejected input".
pub fn words<E: Vocabulary>(value: E) -> String {
    let text = value.as_str().replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[component]
pub fn Badge(
    #[prop(into)] label: String,
    tone: Tone,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! { <span class=tone.class() data-testid=test_id>{label}</span> }
}

/// A status as its badge, in words ("Pending", "Approved", …).
#[component]
pub fn StatusWords<T: Toned + 'static>(
    status: T,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! { <span class=status.tone().class() data-testid=test_id>{words(status)}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abetworks_types::enums::{ErrorKind, Role};

    #[test]
    fn a_vocabulary_value_reads_as_words() {
        assert_eq!(words(ErrorKind::AgentRejectedInput), "Agent rejected input");
        assert_eq!(words(Role::SuperAdmin), "Super admin");
    }

    #[test]
    fn every_value_has_its_tone() {
        assert_eq!(Severity::Critical.tone(), Tone::Danger);
        assert_eq!(ExecutionStatus::Running.tone(), Tone::Warn);
        assert_eq!(EffectiveStatus::Active.tone(), Tone::Ok);
    }
}
