//! Server functions and the data they exchange with the browser. Thin: they call the core.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An agent as the marketplace shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentCard {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub icon: String,
    pub features: Vec<String>,
}

impl AgentCard {
    /// "Free" or the price with its currency, e.g. "USD 49.00".
    pub fn price_label(&self) -> String {
        if self.price_cents == 0 {
            "Free".to_owned()
        } else {
            format!(
                "{} {}.{:02}",
                self.currency,
                self.price_cents / 100,
                self.price_cents % 100
            )
        }
    }
}

/// The published agents matching `query` (name and descriptions).
#[server(endpoint = "marketplace_agents")]
pub async fn marketplace_agents(query: Option<String>) -> Result<Vec<AgentCard>, ServerFnError> {
    use abetworks::catalog::{list_published, CatalogFilter};
    let state = crate::state::app_state()?;
    let filter = CatalogFilter {
        query,
        ..Default::default()
    };
    let agents = list_published(&state.db, &filter)
        .await
        .map_err(|e| match e {
            abetworks::CoreError::Invalid { field, message } => {
                ServerFnError::new(format!("{field} {message}"))
            }
            other => {
                leptos::logging::error!("marketplace listing failed: {other}");
                ServerFnError::new("the marketplace could not be loaded; try again shortly")
            }
        })?;
    Ok(agents
        .into_iter()
        .map(|a| AgentCard {
            id: a.id,
            slug: a.slug,
            name: a.name,
            short_description: a.short_description,
            long_description: a.long_description,
            category: a.category,
            price_cents: a.price_cents,
            currency: a.currency,
            icon: a.icon,
            features: serde_json::from_value(a.features).unwrap_or_default(),
        })
        .collect())
}
