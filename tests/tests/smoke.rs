use restrait::{api, get, Result};
use serde::Deserialize;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Deserialize, Debug)]
struct User {
    id: u64,
}

#[api(base = "http://127.0.0.1:1")]
trait Smoke {
    #[get("/users/<login>")]
    async fn user(&self, login: &str, #[query] page: Option<u32>) -> Result<User>;
}

#[tokio::test]
async fn smoke() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/users/a%2Fb")).respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 7}))).mount(&server).await;
    let c = SmokeClient::builder().base_url(server.uri()).build().unwrap();
    let u = c.user("a/b", Some(2)).await.unwrap();
    assert_eq!(u.id, 7);
    let e = c.user("x", None).await.unwrap_err();
    println!("{e}\n{e:?}");
    let d: &dyn Smoke = &c;
    let _ = d;
}
