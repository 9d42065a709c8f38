use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users/<id>/touch")]
    #[cache]
    async fn touch(&self, id: u64) -> Result<()>;
}

fn main() {}
