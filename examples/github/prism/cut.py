#!/usr/bin/env python3
"""Cuts GitHub's OpenAPI description (@octokit/openapi, dereferenced) down to the operations
restrait-github declares, for Prism to serve. Usage: cut.py SOURCE.json OUT.json

The list below is the SDK's operations, method and path as GitHub's description names them;
the test fails when the SDK calls anything Prism does not know, so the two cannot drift apart
silently. Nothing else of the description is changed."""
import json
import sys

OPERATIONS = [
    ("get", "/user"),
    ("get", "/users/{username}"),
    ("get", "/users/{username}/repos"),
    ("get", "/user/repos"),
    ("post", "/user/repos"),
    ("get", "/repos/{owner}/{repo}"),
    ("patch", "/repos/{owner}/{repo}"),
    ("delete", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/branches"),
    ("get", "/repos/{owner}/{repo}/tags"),
    ("get", "/repos/{owner}/{repo}/languages"),
    ("get", "/repos/{owner}/{repo}/contributors"),
    ("get", "/repos/{owner}/{repo}/readme"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("put", "/repos/{owner}/{repo}/contents/{path}"),
    ("delete", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("put", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/labels"),
    ("post", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/labels/{name}"),
    ("delete", "/repos/{owner}/{repo}/labels/{name}"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/events"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("delete", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("get", "/search/repositories"),
    ("get", "/search/issues"),
    ("post", "/markdown"),
    ("post", "/markdown/raw"),
    ("get", "/rate_limit"),
]


def main():
    source, out = sys.argv[1], sys.argv[2]
    with open(source) as f:
        description = json.load(f)
    paths = {}
    for method, path in OPERATIONS:
        operation = description["paths"].get(path, {}).get(method)
        if operation is None:
            sys.exit(f"cut.py: GitHub's description has no {method.upper()} {path}")
        paths.setdefault(path, {})[method] = operation
        # Path-level parameters apply to every method of the path.
        if "parameters" in description["paths"][path]:
            paths[path]["parameters"] = description["paths"][path]["parameters"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if method == "parameters":
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                for media in content.values():
                    for example in media.get("examples", {}).values():
                        value = example.get("value")
                        if isinstance(value, dict) and set(value) == {"value", "x-github-breaking-changes"}:
                            example["value"] = value["value"]
                if "application/json" in content:
                    content.setdefault("application/vnd.github+json", content["application/json"])
            if (method, path) == ("get", "/repos/{owner}/{repo}/contents/{path}"):
                ok = operation["responses"]["200"]["content"]
                ok["application/vnd.github.raw+json"] = {
                    "schema": {"type": "string"},
                    "example": "# Hello World\n",
                }
    cut = {key: description[key] for key in ("openapi", "info", "servers") if key in description}
    cut["paths"] = paths
    with open(out, "w") as f:
        json.dump(cut, f)


if __name__ == "__main__":
    main()
