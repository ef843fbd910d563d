//! Pages of lists: `page` from 1, `pageSize` from 1 to 100.

use crate::error::{CoreError, CoreResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl PageRequest {
    /// Checks what a caller sent; absent values take the defaults.
    pub fn new(page: Option<i64>, page_size: Option<i64>) -> CoreResult<Self> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE as i64);
        if !(1..=MAX_PAGE as i64).contains(&page) {
            return Err(CoreError::invalid(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        if !(1..=MAX_PAGE_SIZE as i64).contains(&page_size) {
            return Err(CoreError::invalid(
                "pageSize",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(Self {
            page: page as u64,
            page_size: page_size as u64,
        })
    }

    /// The zero-based page index SeaORM's paginator takes.
    pub fn index(&self) -> u64 {
        self.page - 1
    }
}

pub use abetworks_types::{Page, MAX_PAGE};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_take_the_defaults() {
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest {
                page: 1,
                page_size: 20
            }
        );
    }

    #[test]
    fn negative_zero_and_absurd_sizes_are_rejected() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(-3), None).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(101)).is_err());
        assert!(PageRequest::new(None, Some(i64::MAX)).is_err());
    }
}
