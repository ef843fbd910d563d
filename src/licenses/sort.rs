//! The orders the license list can be read in: `sort=used` ascending, `sort=-used` descending.

use sea_orm::sea_query::{Expr, NullOrdering, Order};
use sea_orm::{QueryOrder, Select};

use crate::entities::{agent_catalog, user_agent_licenses as licenses, users};
use crate::error::{CoreError, CoreResult};

/// A column of the license table an admin can sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Granted,
    User,
    Agent,
    Used,
    Status,
    Expires,
}

impl SortKey {
    const ALL: [(SortKey, &'static str); 6] = [
        (SortKey::Granted, "granted"),
        (SortKey::User, "user"),
        (SortKey::Agent, "agent"),
        (SortKey::Used, "used"),
        (SortKey::Status, "status"),
        (SortKey::Expires, "expires"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(key, _)| *key == self)
            .map(|(_, name)| *name)
            .unwrap_or("granted")
    }
}

/// A sort key and its direction. The default is the newest grant first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LicenseSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for LicenseSort {
    fn default() -> Self {
        Self {
            key: SortKey::Granted,
            descending: true,
        }
    }
}

impl LicenseSort {
    /// Reads `key` or `-key`; anything else is `Invalid` naming `sort` and the keys it takes.
    pub fn parse(text: &str) -> CoreResult<Self> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        SortKey::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(key, _)| Self {
                key: *key,
                descending,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|(_, n)| *n).collect();
                CoreError::invalid(
                    "sort",
                    format!(
                        "must be one of {}, optionally with a leading -",
                        names.join(", ")
                    ),
                )
            })
    }

    /// The form `parse` reads.
    pub fn to_param(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.key.name()
        )
    }

    /// Orders a joined license select; ties fall back to newest grant, then id, so pages are
    /// stable.
    pub(super) fn apply(self, select: Select<licenses::Entity>) -> Select<licenses::Entity> {
        let order = if self.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let select = match self.key {
            SortKey::Granted => select,
            SortKey::User => {
                select.order_by(Expr::col((users::Entity, users::Column::Email)), order)
            }
            SortKey::Agent => select.order_by(
                Expr::col((agent_catalog::Entity, agent_catalog::Column::Name)),
                order,
            ),
            SortKey::Used => select.order_by(licenses::Column::ApiCallsUsed, order),
            SortKey::Status => select.order_by(licenses::Column::Status, order),
            // "Never" is the latest expiry of all: last going up, first going down.
            SortKey::Expires => {
                let nulls = if self.descending {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                };
                select.order_by_with_nulls(licenses::Column::ExpiresAt, order, nulls)
            }
        };
        let newest_first = if self.key == SortKey::Granted && !self.descending {
            Order::Asc
        } else {
            Order::Desc
        };
        select
            .order_by(licenses::Column::GrantedAt, newest_first.clone())
            .order_by(licenses::Column::Id, newest_first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_minus_sorts_descending() {
        assert_eq!(
            LicenseSort::parse("-used").unwrap(),
            LicenseSort {
                key: SortKey::Used,
                descending: true
            }
        );
        assert_eq!(
            LicenseSort::parse("user").unwrap(),
            LicenseSort {
                key: SortKey::User,
                descending: false
            }
        );
    }

    #[test]
    fn an_unknown_sort_key_names_the_field_and_the_choices() {
        let error = LicenseSort::parse("password_hash").unwrap_err();
        assert!(
            matches!(error, CoreError::Invalid { ref field, ref message } if field == "sort" && message.contains("expires")),
            "{error:?}"
        );
    }

    #[test]
    fn every_sort_reads_back_from_its_parameter() {
        for (key, _) in SortKey::ALL {
            for descending in [false, true] {
                let sort = LicenseSort { key, descending };
                assert_eq!(LicenseSort::parse(&sort.to_param()).unwrap(), sort);
            }
        }
    }
}
