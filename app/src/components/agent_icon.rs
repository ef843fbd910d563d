//! An agent's icon drawn as inline SVG in the theme's colours, so it looks the same whatever
//! emoji font (if any) the visitor's system has. The catalog names icons by emoji (`Icon: 📈`
//! in an agent's docstring); the ones our agents use have a drawing here, and any other is
//! shown as the agent's initial.

use leptos::prelude::*;

/// The drawings, by the emoji that names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Glyph {
    TrendUp,
    TrendDown,
    BarChart,
    Sparkle,
    Envelope,
    Target,
    Chat,
}

impl Glyph {
    /// The drawing for `emoji`, ignoring variation selectors (`✉️` is `✉` + U+FE0F).
    fn of(emoji: &str) -> Option<Self> {
        let bare: String = emoji.trim().chars().filter(|c| *c != '\u{fe0f}').collect();
        Some(match bare.as_str() {
            "📈" => Self::TrendUp,
            "📉" => Self::TrendDown,
            "📊" => Self::BarChart,
            "🧹" | "✨" => Self::Sparkle,
            "✉" | "📧" | "📨" => Self::Envelope,
            "🎯" => Self::Target,
            "💬" | "🗨" => Self::Chat,
            _ => return None,
        })
    }
}

/// The initial shown when an icon has no drawing: the name's first letter or digit.
fn initial(name: &str) -> String {
    name.chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".to_owned())
}

#[component]
pub fn AgentIcon(
    /// The catalog's icon (an emoji).
    #[prop(into)]
    icon: String,
    /// The agent's name, for the initial.
    #[prop(into)]
    name: String,
) -> impl IntoView {
    let Some(glyph) = Glyph::of(&icon) else {
        return view! { <span class="agent-icon agent-initial" aria-hidden="true">{initial(&name)}</span> }
            .into_any();
    };
    let shapes = match glyph {
        Glyph::TrendUp => view! {
            <polyline points="3 17 9 11 13 15 21 7"/><polyline points="14 7 21 7 21 14"/>
        }
        .into_any(),
        Glyph::TrendDown => view! {
            <polyline points="3 7 9 13 13 9 21 17"/><polyline points="14 17 21 17 21 10"/>
        }
        .into_any(),
        Glyph::BarChart => view! {
            <line x1="3" y1="20" x2="21" y2="20"/><line x1="6" y1="20" x2="6" y2="14"/>
            <line x1="12" y1="20" x2="12" y2="5"/><line x1="18" y1="20" x2="18" y2="10"/>
        }
        .into_any(),
        Glyph::Sparkle => view! {
            <path d="M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8z"/>
            <path d="M19 16v4M17 18h4"/>
        }
        .into_any(),
        Glyph::Envelope => view! {
            <rect x="3" y="5" width="18" height="14" rx="2"/><polyline points="3 7 12 13 21 7"/>
        }
        .into_any(),
        Glyph::Target => view! {
            <circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/><circle cx="12" cy="12" r="1"/>
        }
        .into_any(),
        Glyph::Chat => view! {
            <path d="M21 15a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>
        }
        .into_any(),
    };
    view! {
        <svg class="agent-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            {shapes}
        </svg>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::{initial, Glyph};

    #[test]
    fn every_icon_our_agents_use_has_a_drawing_with_or_without_a_variation_selector() {
        for emoji in ["📊", "📉", "🧹", "✉️", "✉", "📈", "🎯", "💬"] {
            assert!(Glyph::of(emoji).is_some(), "{emoji} has a drawing");
        }
        assert_eq!(Glyph::of("🤖"), None);
    }

    #[test]
    fn an_icon_without_a_drawing_shows_the_name_s_first_letter() {
        assert_eq!(initial("churn predictor"), "C");
        assert_eq!(initial("  42 things"), "4");
        assert_eq!(initial("—"), "?");
    }
}
