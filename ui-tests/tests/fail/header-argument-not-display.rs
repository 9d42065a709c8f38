use restrait::{api, get, Result};

pub struct RequestId(pub u64);

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64, #[header("X-Request-Id")] request_id: RequestId) -> Result<()>;
}

fn main() {}
