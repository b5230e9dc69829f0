//! Retention policies: the `--keep-*` flags as restic (0.18/0.19) and borg
//! (1.2) read them, validated once into [`Policy`] or [`BorgPolicy`].
//!
//! restic's rules, which vz keeps:
//! - a count is a whole number or `unlimited` (stored as -1, which keeps
//!   every bucket); `0` switches the rule off; any other negative number
//!   is refused;
//! - a duration is `<n>y`, `<n>m` (**months**), `<n>d` and `<n>h` pieces,
//!   such as `1y2m3d4h`; there is no `w`, no minutes and no seconds; a
//!   duration of zero switches the rule off; negative pieces are refused;
//! - `--keep-tag a,b` keeps snapshots carrying both `a` and `b`; repeating
//!   the flag gives alternatives; `--keep-tag ''` keeps untagged snapshots;
//! - a policy with no rule at all is refused (restic ≥ 0.17 refuses it too).
//!
//! Where vz is stricter than restic: a unit repeated in a duration (`1d2d`,
//! which restic reads as 2 days) and an empty duration are refused.
//!
//! borg's rules (`--semantics borg`): counts may be any negative number
//! (unlimited); `--keep-within` is one `<n><unit>`, unit `H` (hours), `d`,
//! `w`, `m` (31 days) or `y` (365 days); borg has no within-buckets and no
//! tags, but has `--keep-minutely`.

use std::fmt;
use vz::Error;
use vz::error::suggest;

/// The policy flags, as given on the command line.
#[derive(clap::Args, Clone, Debug, Default)]
#[command(next_help_heading = "Policy")]
pub struct Flags {
    /// Keep the N newest snapshots
    #[arg(short = 'l', long = "keep-last", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub last: Option<i64>,
    /// Keep the newest snapshot of each of the N newest hours that have one
    #[arg(short = 'H', long = "keep-hourly", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub hourly: Option<i64>,
    /// Keep the newest snapshot of each of the N newest days that have one
    #[arg(short = 'd', long = "keep-daily", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub daily: Option<i64>,
    /// Keep the newest snapshot of each of the N newest ISO weeks that have one
    #[arg(short = 'w', long = "keep-weekly", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub weekly: Option<i64>,
    /// Keep the newest snapshot of each of the N newest months that have one
    #[arg(short = 'm', long = "keep-monthly", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub monthly: Option<i64>,
    /// Keep the newest snapshot of each of the N newest years that have one
    #[arg(short = 'y', long = "keep-yearly", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub yearly: Option<i64>,
    /// Keep every snapshot newer than the group's newest minus DURATION
    /// (1y2m3d4h; m is months)
    #[arg(long = "keep-within", value_name = "DURATION", allow_hyphen_values = true)]
    pub within: Option<String>,
    /// Within DURATION of the newest, keep the newest snapshot of every hour
    #[arg(long = "keep-within-hourly", value_name = "DURATION", allow_hyphen_values = true)]
    pub within_hourly: Option<String>,
    /// Within DURATION of the newest, keep the newest snapshot of every day
    #[arg(long = "keep-within-daily", value_name = "DURATION", allow_hyphen_values = true)]
    pub within_daily: Option<String>,
    /// Within DURATION of the newest, keep the newest snapshot of every ISO week
    #[arg(long = "keep-within-weekly", value_name = "DURATION", allow_hyphen_values = true)]
    pub within_weekly: Option<String>,
    /// Within DURATION of the newest, keep the newest snapshot of every month
    #[arg(long = "keep-within-monthly", value_name = "DURATION", allow_hyphen_values = true)]
    pub within_monthly: Option<String>,
    /// Within DURATION of the newest, keep the newest snapshot of every year
    #[arg(long = "keep-within-yearly", value_name = "DURATION", allow_hyphen_values = true)]
    pub within_yearly: Option<String>,
    /// Keep snapshots that carry every tag of TAGS (a,b); repeat for
    /// alternatives; '' keeps untagged snapshots
    #[arg(long = "keep-tag", value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Keep the newest archive of each of the N newest minutes (borg only)
    #[arg(long = "keep-minutely", value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub minutely: Option<i64>,
}

/// A count as restic reads it: a whole number, or `unlimited` (-1).
fn parse_count(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t == "unlimited" {
        return Ok(-1);
    }
    t.parse::<i64>()
        .map_err(|_| format!("`{s}` is not a count: write a whole number, or unlimited"))
}

/// How many buckets a count rule keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Count {
    /// The rule is off (0, or not given).
    #[default]
    Off,
    /// The N newest buckets.
    N(u64),
    /// Every bucket (`unlimited`, -1).
    Unlimited,
}

impl Count {
    /// Returns true if and only if the rule is on.
    pub fn is_on(self) -> bool {
        self != Count::Off
    }
}

/// A restic duration: years, months, days and hours, applied as one
/// calendar step (years, months, days) and then hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Duration {
    /// Years.
    pub years: i64,
    /// Months.
    pub months: i64,
    /// Days.
    pub days: i64,
    /// Hours.
    pub hours: i64,
}

impl Duration {
    /// Returns true if and only if every part is zero (the rule is off).
    pub fn is_zero(&self) -> bool {
        *self == Duration::default()
    }

    /// Parses `1y2m3d4h` as restic does (each piece optional, in any
    /// order); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let help = "restic durations are <n>y, <n>m (months), <n>d and <n>h, e.g. 1y2m3d4h or 36h";
        let t = text.trim();
        if t.is_empty() {
            return Err(format!("empty duration: {help}"));
        }
        let mut d = Duration::default();
        let mut seen = String::new();
        let mut rest = t;
        while !rest.is_empty() {
            let negative = rest.starts_with('-');
            let body = rest.trim_start_matches('-');
            let digits = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
            if digits == 0 {
                return Err(format!("`{text}`: expected a number at `{rest}`; {help}"));
            }
            let n: i64 =
                body[..digits].parse().map_err(|_| format!("`{text}`: number too large"))?;
            let n = if negative { -n } else { n };
            let after = &body[digits..];
            let Some(unit) = after.chars().next() else {
                return Err(format!("`{text}`: no unit after {n}; {help}"));
            };
            match unit {
                'y' => d.years = n,
                'm' => d.months = n,
                'd' => d.days = n,
                'h' => d.hours = n,
                'w' => {
                    return Err(format!(
                        "`{text}`: restic has no weeks (`w`): write {}d; {help}",
                        n.saturating_mul(7)
                    ));
                }
                's' | 'M' | 'H' => {
                    return Err(format!(
                        "`{text}`: invalid unit `{unit}` (restic counts no minutes or seconds, \
                         and `m` means months); {help}"
                    ));
                }
                other => return Err(format!("`{text}`: invalid unit `{other}`; {help}")),
            }
            if seen.contains(unit) {
                return Err(format!("`{text}`: the unit `{unit}` is given twice; {help}"));
            }
            seen.push(unit);
            rest = &after[unit.len_utf8()..];
        }
        Ok(d)
    }

    fn is_negative(&self) -> bool {
        self.years < 0 || self.months < 0 || self.days < 0 || self.hours < 0
    }
}

impl fmt::Display for Duration {
    /// restic's own spelling: the non-zero parts in y, m, d, h order
    /// (`12m` stays `12m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, unit) in
            [(self.years, 'y'), (self.months, 'm'), (self.days, 'd'), (self.hours, 'h')]
        {
            if n != 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

/// One `--keep-tag` list: a snapshot matches when it carries every tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagList(pub Vec<String>);

impl TagList {
    /// Splits `a, b` into `[a, b]` (each tag trimmed), as restic does.
    pub fn parse(s: &str) -> TagList {
        TagList(s.split(',').map(|t| t.trim().to_string()).collect())
    }

    /// restic's match: every tag of the list is on the snapshot; an empty
    /// tag in the list matches a snapshot without tags (and ends the check).
    pub fn matches(&self, tags: &[String]) -> bool {
        for t in &self.0 {
            if t.is_empty() && tags.is_empty() {
                return true;
            }
            if !tags.iter().any(|have| have == t) {
                return false;
            }
        }
        true
    }
}

impl fmt::Display for TagList {
    /// restic's spelling: `[a, b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.0.join(", "))
    }
}

/// Which snapshot fields make a group (`--group-by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupBy {
    /// By host.
    pub host: bool,
    /// By the (sorted) list of paths.
    pub paths: bool,
    /// By the (sorted) list of tags.
    pub tags: bool,
}

impl GroupBy {
    /// restic's default: `host,paths`.
    pub const RESTIC: GroupBy = GroupBy { host: true, paths: true, tags: false };
    /// One group of everything (`''`, and borg's default).
    pub const NONE: GroupBy = GroupBy { host: false, paths: false, tags: false };

    /// Parses `host,paths,tags` (also `hosts`, `path`, `tag`; `''` is no
    /// grouping).
    pub fn parse(s: &str) -> Result<GroupBy, Error> {
        let mut g = GroupBy::NONE;
        for word in s.split(',') {
            match word.trim() {
                "host" | "hosts" => g.host = true,
                "path" | "paths" => g.paths = true,
                "tag" | "tags" => g.tags = true,
                "" => {}
                other => {
                    let hint = suggest(other, ["host", "paths", "tags"])
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return Err(Error::usage(format!(
                        "--group-by: unknown word `{other}`{hint}: use host, paths and/or tags, \
                         comma-separated, or '' for one group"
                    )));
                }
            }
        }
        Ok(g)
    }
}

/// A validated restic policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `--keep-last`.
    pub last: Count,
    /// `--keep-hourly`.
    pub hourly: Count,
    /// `--keep-daily`.
    pub daily: Count,
    /// `--keep-weekly`.
    pub weekly: Count,
    /// `--keep-monthly`.
    pub monthly: Count,
    /// `--keep-yearly`.
    pub yearly: Count,
    /// `--keep-within`.
    pub within: Option<Duration>,
    /// `--keep-within-hourly`.
    pub within_hourly: Option<Duration>,
    /// `--keep-within-daily`.
    pub within_daily: Option<Duration>,
    /// `--keep-within-weekly`.
    pub within_weekly: Option<Duration>,
    /// `--keep-within-monthly`.
    pub within_monthly: Option<Duration>,
    /// `--keep-within-yearly`.
    pub within_yearly: Option<Duration>,
    /// `--keep-tag`, in command-line order.
    pub tags: Vec<TagList>,
}

impl Policy {
    /// Returns true if and only if no rule is on.
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// Warnings about values that are valid but likely not what was meant.
    pub fn warnings(&self) -> Vec<String> {
        let all = [
            ("--keep-within", self.within),
            ("--keep-within-hourly", self.within_hourly),
            ("--keep-within-daily", self.within_daily),
            ("--keep-within-weekly", self.within_weekly),
            ("--keep-within-monthly", self.within_monthly),
            ("--keep-within-yearly", self.within_yearly),
        ];
        all.iter()
            .filter_map(|(flag, d)| {
                let d = (*d)?;
                (d.months > 24).then(|| {
                    format!(
                        "{flag} {d}: `m` means months in restic's syntax ({} months = about {} years), \
                         not minutes",
                        d.months,
                        d.months / 12
                    )
                })
            })
            .collect()
    }
}

/// A validated borg prune policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BorgPolicy {
    /// `--keep-within`, in hours.
    pub within_hours: Option<u64>,
    /// `--keep-within` as given (for reasons).
    pub within_text: String,
    /// `--keep-last` (borg's "secondly").
    pub secondly: i64,
    /// `--keep-minutely`.
    pub minutely: i64,
    /// `--keep-hourly`.
    pub hourly: i64,
    /// `--keep-daily`.
    pub daily: i64,
    /// `--keep-weekly`.
    pub weekly: i64,
    /// `--keep-monthly`.
    pub monthly: i64,
    /// `--keep-yearly`.
    pub yearly: i64,
}

impl Flags {
    /// The restic policy these flags give, or a usage error naming the flag.
    pub fn restic(&self) -> Result<Policy, Error> {
        if self.minutely.is_some() {
            return Err(Error::usage(
                "--keep-minutely is a borg rule: restic has none (add --semantics borg)",
            ));
        }
        let count = |flag: &str, v: Option<i64>| -> Result<Count, Error> {
            match v {
                None | Some(0) => Ok(Count::Off),
                Some(-1) => Ok(Count::Unlimited),
                Some(n) if n < 0 => Err(Error::usage(format!(
                    "{flag} {n}: negative values other than -1 (unlimited) are not allowed"
                ))),
                Some(n) => Ok(Count::N(n.unsigned_abs())),
            }
        };
        let duration = |flag: &str, v: &Option<String>| -> Result<Option<Duration>, Error> {
            let Some(text) = v else { return Ok(None) };
            let d = Duration::parse(text).map_err(|m| Error::usage(format!("{flag}: {m}")))?;
            if d.is_negative() {
                return Err(Error::usage(format!(
                    "{flag} {text}: durations with negative values are not allowed"
                )));
            }
            Ok((!d.is_zero()).then_some(d))
        };
        let policy = Policy {
            last: count("--keep-last", self.last)?,
            hourly: count("--keep-hourly", self.hourly)?,
            daily: count("--keep-daily", self.daily)?,
            weekly: count("--keep-weekly", self.weekly)?,
            monthly: count("--keep-monthly", self.monthly)?,
            yearly: count("--keep-yearly", self.yearly)?,
            within: duration("--keep-within", &self.within)?,
            within_hourly: duration("--keep-within-hourly", &self.within_hourly)?,
            within_daily: duration("--keep-within-daily", &self.within_daily)?,
            within_weekly: duration("--keep-within-weekly", &self.within_weekly)?,
            within_monthly: duration("--keep-within-monthly", &self.within_monthly)?,
            within_yearly: duration("--keep-within-yearly", &self.within_yearly)?,
            tags: self.tags.iter().map(|t| TagList::parse(t)).collect(),
        };
        if policy.is_empty() {
            return Err(Error::usage(
                "no policy: give at least one --keep-* rule with a count or duration other \
                 than 0 (restic refuses an empty policy too)",
            ));
        }
        Ok(policy)
    }

    /// The borg prune policy these flags give, or a usage error.
    pub fn borg(&self) -> Result<BorgPolicy, Error> {
        let restic_only = [
            ("--keep-within-hourly", self.within_hourly.is_some()),
            ("--keep-within-daily", self.within_daily.is_some()),
            ("--keep-within-weekly", self.within_weekly.is_some()),
            ("--keep-within-monthly", self.within_monthly.is_some()),
            ("--keep-within-yearly", self.within_yearly.is_some()),
            ("--keep-tag", !self.tags.is_empty()),
        ];
        if let Some((flag, _)) = restic_only.iter().find(|(_, given)| *given) {
            return Err(Error::usage(format!(
                "{flag} is a restic rule: borg prune has no equivalent (drop it or use --semantics restic)"
            )));
        }
        let (within_hours, within_text) = match &self.within {
            None => (None, String::new()),
            Some(t) => (
                Some(borg_interval(t).map_err(|m| Error::usage(format!("--keep-within: {m}")))?),
                t.trim().to_string(),
            ),
        };
        let policy = BorgPolicy {
            within_hours,
            within_text,
            secondly: self.last.unwrap_or(0),
            minutely: self.minutely.unwrap_or(0),
            hourly: self.hourly.unwrap_or(0),
            daily: self.daily.unwrap_or(0),
            weekly: self.weekly.unwrap_or(0),
            monthly: self.monthly.unwrap_or(0),
            yearly: self.yearly.unwrap_or(0),
        };
        let counts = [
            policy.secondly,
            policy.minutely,
            policy.hourly,
            policy.daily,
            policy.weekly,
            policy.monthly,
            policy.yearly,
        ];
        if policy.within_hours.is_none() && counts.iter().all(|c| *c == 0) {
            return Err(Error::usage(
                "no policy: give at least one --keep-* rule (borg prune refuses an empty policy too)",
            ));
        }
        Ok(policy)
    }
}

/// borg's interval: one `<n><unit>`, unit H, d, w, m (31 days) or y (365
/// days), greater than zero; in hours.
pub fn borg_interval(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let Some(unit) = t.chars().last() else {
        return Err("empty interval: borg intervals are <n>H, <n>d, <n>w, <n>m or <n>y".into());
    };
    let hours_per: u64 = match unit {
        'H' => 1,
        'd' => 24,
        'w' => 24 * 7,
        'm' => 24 * 31,
        'y' => 24 * 365,
        other => {
            return Err(format!(
                "`{text}`: unexpected unit `{other}`: borg intervals are <n>H, <n>d, <n>w, <n>m (31 days) or <n>y (365 days)"
            ));
        }
    };
    let number = &t[..t.len() - unit.len_utf8()];
    match number.parse::<u64>() {
        Ok(n) if n > 0 => {
            n.checked_mul(hours_per).ok_or_else(|| format!("`{text}`: interval too large"))
        }
        _ => Err(format!("`{text}`: expected a whole number greater than 0 before `{unit}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_as_restic_does() {
        let d = Duration::parse("1y2m3d4h").unwrap();
        assert_eq!((d.years, d.months, d.days, d.hours), (1, 2, 3, 4));
        assert_eq!(d.to_string(), "1y2m3d4h");
        assert_eq!(Duration::parse("4h1y").unwrap().to_string(), "1y4h");
        assert_eq!(Duration::parse("12m").unwrap().to_string(), "12m");
        assert_eq!(Duration::parse(" 36h ").unwrap().to_string(), "36h");
        assert!(Duration::parse("0d").unwrap().is_zero());
        assert!(Duration::parse("-1d").unwrap().is_negative());
        for (bad, why) in [
            ("5", "no unit after 5"),
            ("1w", "restic has no weeks (`w`): write 7d"),
            ("30min", "expected a number at `in`"),
            ("90s", "invalid unit `s`"),
            ("1d2d", "the unit `d` is given twice"),
            ("", "empty duration"),
            ("d", "expected a number at `d`"),
            ("99999999999999999999d", "number too large"),
        ] {
            let e = Duration::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn tag_lists_match_as_restic_does() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let l = TagList::parse(" b , a ");
        assert_eq!(l.to_string(), "[b, a]");
        assert!(l.matches(&tags(&["a", "b", "c"])));
        assert!(!l.matches(&tags(&["a"])));
        assert!(!TagList::parse("B").matches(&tags(&["b"])));
        let untagged = TagList::parse("");
        assert_eq!(untagged.to_string(), "[]");
        assert!(untagged.matches(&[]));
        assert!(!untagged.matches(&tags(&["a"])));
        // An empty tag after a real one never matches a tagged snapshot.
        assert_eq!(TagList::parse("a,").to_string(), "[a, ]");
        assert!(!TagList::parse("a,").matches(&tags(&["a"])));
    }

    #[test]
    fn counts_and_empty_policies() {
        let flags = Flags { daily: Some(-1), ..Flags::default() };
        assert_eq!(flags.restic().unwrap().daily, Count::Unlimited);
        let flags = Flags { daily: Some(-2), ..Flags::default() };
        assert!(flags.restic().unwrap_err().to_string().contains("other than -1"));
        assert_eq!(flags.borg().unwrap().daily, -2);
        let empty = Flags { last: Some(0), within: Some("0d".into()), ..Flags::default() };
        assert!(empty.restic().unwrap_err().to_string().starts_with("no policy"));
        assert_eq!(parse_count("unlimited"), Ok(-1));
        assert!(parse_count("many").is_err());
        let neg = Flags { within: Some("-1d".into()), ..Flags::default() };
        assert!(neg.restic().unwrap_err().to_string().contains("negative"));
        let tag = Flags { tags: vec!["x".into()], ..Flags::default() };
        assert!(tag.borg().unwrap_err().to_string().contains("--keep-tag is a restic rule"));
    }

    #[test]
    fn months_that_look_like_minutes_are_flagged() {
        let p = Flags { within: Some("90m".into()), ..Flags::default() }.restic().unwrap();
        assert_eq!(p.warnings().len(), 1);
        let p = Flags { within: Some("6m".into()), ..Flags::default() }.restic().unwrap();
        assert!(p.warnings().is_empty());
    }

    #[test]
    fn group_by_words() {
        assert_eq!(GroupBy::parse("host,paths").unwrap(), GroupBy::RESTIC);
        assert_eq!(GroupBy::parse("").unwrap(), GroupBy::NONE);
        assert_eq!(
            GroupBy::parse("tag,hosts").unwrap(),
            GroupBy { host: true, paths: false, tags: true }
        );
        let e = GroupBy::parse("hots").unwrap_err().to_string();
        assert!(e.contains("did you mean `host`"), "{e}");
    }

    #[test]
    fn borg_intervals() {
        assert_eq!(borg_interval("36H"), Ok(36));
        assert_eq!(borg_interval("2w"), Ok(336));
        assert_eq!(borg_interval("1m"), Ok(744));
        assert_eq!(borg_interval("1y"), Ok(8760));
        assert!(borg_interval("0d").is_err());
        assert!(borg_interval("1h").is_err());
        assert!(borg_interval("d").is_err());
    }
}
