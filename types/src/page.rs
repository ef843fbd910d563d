//! Pages of lists, in the contract's shape `{items, total, page, pageSize}`.

use serde::{Deserialize, Serialize};

/// The highest page number a list answers; a higher one is refused as bad input.
pub const MAX_PAGE: u64 = 1_000_000;

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }

    /// How many pages the list has (at least one, so "page 1 of 1" reads right when empty).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.page_size.max(1)).max(1)
    }
}
