//! The types of the requests and answers, with the fields GitHub's description marks
//! required (nullable ones as `Option`); serde skips the rest, so a field GitHub adds never
//! breaks a call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// GitHub's error body: `{"message": ..., "documentation_url": ..., "errors": [...]}`.
/// Every failed call carries it decoded: `err.api_error::<GitHubError>()`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GitHubError {
    /// What went wrong, for people.
    pub message: String,
    /// The page of GitHub's docs about the endpoint.
    #[serde(default)]
    pub documentation_url: Option<String>,
    /// For 422 Unprocessable: each field that was refused.
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One entry of a 422's `errors`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The kind of object (`Issue`).
    #[serde(default)]
    pub resource: Option<String>,
    /// The field (`title`).
    #[serde(default)]
    pub field: Option<String>,
    /// `missing`, `missing_field`, `invalid`, `already_exists`, `unprocessable` or `custom`.
    #[serde(default)]
    pub code: Option<String>,
    /// With `custom`: the explanation.
    #[serde(default)]
    pub message: Option<String>,
}

/// A user or organisation as other objects reference it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SimpleUser {
    /// The handle.
    pub login: String,
    /// The numeric id.
    pub id: u64,
    /// The avatar image.
    pub avatar_url: String,
    /// The profile page.
    pub html_url: String,
    /// `User`, `Organization` or `Bot`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A user's profile (`GET /users/{username}`, `GET /user`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The handle.
    pub login: String,
    /// The numeric id.
    pub id: u64,
    /// The display name.
    pub name: Option<String>,
    /// The profile text.
    pub bio: Option<String>,
    /// Public repositories.
    pub public_repos: u64,
    /// Followers.
    pub followers: u64,
    /// The profile page.
    pub html_url: String,
}

/// A repository.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Repository {
    /// The numeric id.
    pub id: u64,
    /// `hello-world`.
    pub name: String,
    /// `octocat/hello-world`.
    pub full_name: String,
    /// The owner.
    pub owner: SimpleUser,
    /// Whether it is private.
    pub private: bool,
    /// The description.
    pub description: Option<String>,
    /// Whether it is a fork.
    pub fork: bool,
    /// Its page.
    pub html_url: String,
}

/// The settings of a new repository (`POST /user/repos`); only `name` is required.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NewRepository<'a> {
    /// The name.
    pub name: &'a str,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// Whether it is private.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// Create it with a README, so it has a first commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_init: Option<bool>,
}

/// Changes to a repository (`PATCH /repos/{owner}/{repo}`); `None` leaves a setting alone.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RepositoryUpdate<'a> {
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// A new default branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<&'a str>,
    /// Archive or unarchive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// A commit as a branch or tag points at it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CommitRef {
    /// The commit's SHA.
    pub sha: String,
    /// Its API URL.
    pub url: String,
}

/// A branch.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Branch {
    /// `main`.
    pub name: String,
    /// The commit at its tip.
    pub commit: CommitRef,
    /// Whether branch protection is on.
    pub protected: bool,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// `v1.0.0`.
    pub name: String,
    /// The tagged commit.
    pub commit: CommitRef,
    /// The source archive.
    pub tarball_url: String,
}

/// A contributor of a repository.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Contributor {
    /// The handle (anonymous contributors have none).
    #[serde(default)]
    pub login: Option<String>,
    /// Commits contributed.
    pub contributions: u64,
}

/// Bytes of code per language.
pub type Languages = BTreeMap<String, u64>;

/// A file as the contents API returns it (`GET .../readme`, a file's `GET .../contents/...`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Content {
    /// `file`, `dir`, `symlink` or `submodule`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The file name.
    pub name: String,
    /// The path in the repository.
    pub path: String,
    /// The blob's SHA (needed to update or delete the file).
    pub sha: String,
    /// Size in bytes.
    pub size: u64,
    /// The content in `encoding` (base64, with line breaks); empty for directories.
    #[serde(default)]
    pub content: Option<String>,
    /// The raw file.
    pub download_url: Option<String>,
}

/// A file to create or update (`PUT .../contents/{path}`).
#[derive(Clone, Debug, Serialize)]
pub struct FileWrite<'a> {
    /// The commit message.
    pub message: &'a str,
    /// The new content, base64-encoded.
    pub content: &'a str,
    /// The SHA of the blob replaced (required to update a file, absent to create one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<&'a str>,
    /// The branch (default: the repository's default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
}

/// A file to delete (`DELETE .../contents/{path}`, which takes a body).
#[derive(Clone, Debug, Serialize)]
pub struct FileDelete<'a> {
    /// The commit message.
    pub message: &'a str,
    /// The SHA of the blob deleted.
    pub sha: &'a str,
    /// The branch (default: the repository's default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
}

/// The commit a file change made.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FileCommit {
    /// The file as it is now (`None` after a delete).
    pub content: Option<serde_json::Value>,
    /// The commit.
    pub commit: serde_json::Value,
}

/// A label.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Label {
    /// The numeric id.
    pub id: u64,
    /// `bug`.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Hex colour without `#`.
    pub color: String,
    /// Whether it is one of GitHub's default labels.
    pub default: bool,
}

/// A label to create.
#[derive(Clone, Debug, Serialize)]
pub struct NewLabel<'a> {
    /// The name.
    pub name: &'a str,
    /// Hex colour without `#`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<&'a str>,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

/// Labels to add to an issue.
#[derive(Clone, Debug, Serialize)]
pub struct LabelNames<'a> {
    /// The labels' names.
    pub labels: &'a [&'a str],
}

/// An issue (pull requests are issues too).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// The numeric id.
    pub id: u64,
    /// The number in its repository.
    pub number: u64,
    /// The title.
    pub title: String,
    /// `open` or `closed`.
    pub state: String,
    /// Whether conversation is locked.
    pub locked: bool,
    /// The author.
    pub user: Option<SimpleUser>,
    /// The labels (names or objects, as GitHub has sent both).
    pub labels: Vec<serde_json::Value>,
    /// Comments.
    pub comments: u64,
    /// Its page.
    pub html_url: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// When it was opened.
    pub created_at: String,
}

/// An issue to open.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NewIssue<'a> {
    /// The title (required).
    pub title: &'a str,
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    /// Labels by name.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub labels: &'a [&'a str],
    /// Assignees by login.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub assignees: &'a [&'a str],
}

/// Changes to an issue; `None` leaves a field alone.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IssueUpdate<'a> {
    /// A new title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// A new text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    /// `open` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
}

/// Which issues to list; `None` leaves GitHub's default.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IssueFilter<'a> {
    /// `open` (default), `closed` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    /// Label names, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<&'a str>,
    /// An assignee's login, `none` or `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<&'a str>,
    /// `created` (default), `updated` or `comments`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<&'a str>,
    /// Issues updated since (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<&'a str>,
    /// Page size, at most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u8>,
}

/// A lock's reason (`PUT .../lock`).
#[derive(Clone, Debug, Serialize)]
pub struct LockReason<'a> {
    /// `off-topic`, `too heated`, `resolved` or `spam`.
    pub lock_reason: &'a str,
}

/// A comment on an issue or pull request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// The numeric id.
    pub id: u64,
    /// The author.
    pub user: Option<SimpleUser>,
    /// The text (absent when only HTML was asked for).
    #[serde(default)]
    pub body: Option<String>,
    /// Its page.
    pub html_url: String,
    /// When it was written.
    pub created_at: String,
}

/// A comment's text.
#[derive(Clone, Debug, Serialize)]
pub struct CommentBody<'a> {
    /// The text (Markdown).
    pub body: &'a str,
}

/// A branch as a pull request names it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PullBranch {
    /// `octocat:feature`.
    pub label: String,
    /// `feature`.
    #[serde(rename = "ref")]
    pub branch: String,
    /// The commit.
    pub sha: String,
}

/// A pull request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// The numeric id.
    pub id: u64,
    /// The number in its repository.
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// The title.
    pub title: String,
    /// The text.
    pub body: Option<String>,
    /// The author.
    pub user: SimpleUser,
    /// The branch to merge.
    pub head: PullBranch,
    /// The branch merged into.
    pub base: PullBranch,
    /// When it was merged.
    pub merged_at: Option<String>,
    /// Its page.
    pub html_url: String,
}

/// A pull request to open.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NewPullRequest<'a> {
    /// The branch to merge (`feature` or `fork-owner:feature`).
    pub head: &'a str,
    /// The branch to merge into.
    pub base: &'a str,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    /// Open it as a draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
}

/// How to merge (`PUT .../merge`); all optional.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Merge<'a> {
    /// The merge commit's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_title: Option<&'a str>,
    /// `merge`, `squash` or `rebase`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_method: Option<&'a str>,
    /// Merge only if the head is still this commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<&'a str>,
}

/// The outcome of a merge.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MergeResult {
    /// Whether it was merged.
    pub merged: bool,
    /// GitHub's sentence.
    pub message: String,
    /// The merge commit.
    pub sha: String,
}

/// A file a pull request changes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PullFile {
    /// The path.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, …
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Lines changed.
    pub changes: u64,
}

/// A review of a pull request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Review {
    /// The numeric id.
    pub id: u64,
    /// The reviewer.
    pub user: Option<SimpleUser>,
    /// The summary.
    pub body: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `PENDING`, …
    pub state: String,
    /// The commit reviewed.
    pub commit_id: Option<String>,
}

/// A review to start or submit.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NewReview<'a> {
    /// The summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    /// `APPROVE`, `REQUEST_CHANGES` or `COMMENT`; `None` leaves it pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a str>,
}

/// Submitting a pending review.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewEvent<'a> {
    /// `APPROVE`, `REQUEST_CHANGES` or `COMMENT` (required).
    pub event: &'a str,
    /// The summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
}

/// A git reference (`refs/heads/main`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GitRef {
    /// `refs/heads/main`.
    #[serde(rename = "ref")]
    pub name: String,
    /// What it points at.
    pub object: GitObject,
}

/// The object a reference points at.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GitObject {
    /// `commit`, `tag`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Its SHA.
    pub sha: String,
}

/// A reference to create.
#[derive(Clone, Debug, Serialize)]
pub struct NewGitRef<'a> {
    /// The full name, `refs/heads/feature`.
    #[serde(rename = "ref")]
    pub name: &'a str,
    /// The commit it points at.
    pub sha: &'a str,
}

/// Moving a reference.
#[derive(Clone, Debug, Serialize)]
pub struct GitRefUpdate<'a> {
    /// The new commit.
    pub sha: &'a str,
    /// Allow a move that is not a fast-forward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// A page of search results; the `items` are what the paginated search methods stream.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SearchResults<T> {
    /// Matches in all.
    pub total_count: u64,
    /// Whether the search timed out before it found all.
    pub incomplete_results: bool,
    /// This page's matches.
    pub items: Vec<T>,
}

/// Markdown to render (`POST /markdown`).
#[derive(Clone, Debug, Serialize)]
pub struct Markdown<'a> {
    /// The Markdown.
    pub text: &'a str,
    /// `markdown` or `gfm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'a str>,
    /// The repository `gfm` links issues in (`octo-org/octo-repo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'a str>,
}

/// The rate limits of the caller (`GET /rate_limit`, which does not count against them).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RateLimits {
    /// The core REST quota.
    pub rate: Quota,
    /// Every quota by resource (`core`, `search`, `graphql`, …).
    pub resources: BTreeMap<String, Quota>,
}

/// One quota.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Quota {
    /// Requests per window.
    pub limit: u64,
    /// Requests used.
    pub used: u64,
    /// Requests left.
    pub remaining: u64,
    /// When the window resets (Unix seconds).
    pub reset: u64,
}
