//! Pages of a long table: `page=N` in the URL (from 1) or `page=tout`, the DSFR pagination's
//! links, and "afficher tout".

/// Lines per page.
pub const PAGE_SIZE: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Number(usize),
    All,
}

impl Page {
    /// `page=` as sent: a number from 1, or `tout`; anything else is the first page.
    pub fn parse(raw: &str) -> Self {
        match raw.trim() {
            "tout" => Self::All,
            other => Self::Number(other.parse::<usize>().ok().filter(|n| *n >= 1).unwrap_or(1)),
        }
    }

    /// The `page=` pair of a query string; none for the first page.
    pub fn query_part(self) -> Option<String> {
        match self {
            Self::All => Some("page=tout".into()),
            Self::Number(n) if n > 1 => Some(format!("page={n}")),
            Self::Number(_) => None,
        }
    }
}

/// A link of the pagination.
pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// What the page shows of `total` lines, and the links to the others.
pub struct Pagination {
    pub total: usize,
    /// "affichées : 1 à 50", or empty when everything is shown.
    pub range: String,
    pub pages: Vec<PageLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// "Afficher tout", when there is more than one page.
    pub all_url: Option<String>,
}

impl Pagination {
    /// Keeps the lines of `page` out of `lines`; `url` is the view's URL at another page.
    pub fn cut<T>(lines: Vec<T>, page: Page, url: impl Fn(Page) -> String) -> (Vec<T>, Self) {
        let total = lines.len();
        let count = total.div_ceil(PAGE_SIZE).max(1);
        let current = match page {
            Page::All => None,
            Page::Number(n) => Some(n.min(count)),
        };
        let shown = match current {
            Some(n) => lines
                .into_iter()
                .skip((n - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .collect(),
            None => lines,
        };
        let paged = current.filter(|_| count > 1);
        let pagination = Self {
            total,
            range: paged
                .map(|n| {
                    format!(
                        "affichées : {} à {}",
                        (n - 1) * PAGE_SIZE + 1,
                        (n * PAGE_SIZE).min(total)
                    )
                })
                .unwrap_or_default(),
            pages: paged
                .map(|current| {
                    (1..=count)
                        .filter(|n| *n == 1 || *n == count || n.abs_diff(current) <= 2)
                        .map(|n| PageLink {
                            label: n.to_string(),
                            url: url(Page::Number(n)),
                            current: n == current,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            previous: paged.filter(|n| *n > 1).map(|n| url(Page::Number(n - 1))),
            next: paged
                .filter(|n| *n < count)
                .map(|n| url(Page::Number(n + 1))),
            all_url: paged.map(|_| url(Page::All)),
        };
        (shown, pagination)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_fifty_lines_and_link_the_neighbours() {
        let url = |p: Page| format!("?{}", p.query_part().unwrap_or_default());
        let (shown, p) = Pagination::cut((1..=120).collect(), Page::Number(3), url);
        assert_eq!(shown, (101..=120).collect::<Vec<_>>());
        assert_eq!(p.range, "affichées : 101 à 120");
        assert_eq!(p.previous.as_deref(), Some("?page=2"));
        assert_eq!(p.next, None);
        assert_eq!(p.all_url.as_deref(), Some("?page=tout"));
        let (shown, p) = Pagination::cut((1..=120).collect::<Vec<_>>(), Page::All, url);
        assert_eq!((shown.len(), p.pages.len()), (120, 0));
        // Past the end is the last page; a short list has no pagination.
        let (shown, _) = Pagination::cut((1..=60).collect::<Vec<_>>(), Page::Number(9), url);
        assert_eq!(shown.len(), 10);
        let (_, p) = Pagination::cut((1..=50).collect::<Vec<_>>(), Page::Number(1), url);
        assert!(p.pages.is_empty() && p.all_url.is_none() && p.range.is_empty());
        assert_eq!(Page::parse("0"), Page::Number(1));
        assert_eq!(Page::parse(" tout "), Page::All);
    }
}
