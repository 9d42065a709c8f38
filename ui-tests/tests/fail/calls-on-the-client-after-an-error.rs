use restrait::{api, get, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/{id}")]
    async fn user(&self, id: u64) -> Result<()>;
    #[post("/x")]
    async fn x(&mut self) -> Result<()>;
    #[post("/y")]
    fn y(&self) -> Result<()>;
    #[post("/z")]
    async fn z(&self, (a, b): (u8, u8)) -> Result<()>;
}

async fn run() -> Result<()> {
    let c = UsersClient::new()?;
    c.user(1).await?;
    let d: &dyn Users = &c;
    d.user(2).await
}

fn main() { let _ = run(); }
