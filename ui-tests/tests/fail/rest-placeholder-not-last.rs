use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[get("/files/<path..>/meta")]
    async fn meta(&self, path: &str) -> Result<()>;
}

fn main() {}
