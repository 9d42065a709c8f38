// The OAuth2/OpenID provider the sign-in tests run against: panva's oidc-provider (a
// certified OpenID Provider implementation) on 127.0.0.1:$PORT, with a public native client,
// a confidential one (a client secret, sent with HTTP Basic), and interactions that complete on their own (user `alice`, every scope consented),
// so that a scripted browser only follows redirects and submits the device-flow forms.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'restrait-cli',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    // RFC 8252 §7.3: any port of this loopback address is accepted for a native client.
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  }, {
    client_id: 'restrait-confidential',
    client_secret: 'restrait-test-client-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  scopes: ['openid', 'offline_access'],
  features: {
    devInteractions: { enabled: false },
    deviceFlow: {
      enabled: true,
      // Plain pages whose forms the scripted browser submits as they are.
      userCodeInputSource: async (ctx, form) => { ctx.body = `<!doctype html><html><body>${form}</body></html>`; },
      userCodeConfirmSource: async (ctx, form) => { ctx.body = `<!doctype html><html><body>${form}</body></html>`; },
      successSource: async (ctx) => { ctx.body = '<!doctype html><html><body>signed in</body></html>'; },
    },
  },
  // A refresh token for `offline_access` whatever the prompt (the device flow has no
  // `prompt=consent`); public clients get it rotated on every use (the provider's default).
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ['restrait-test-cookie-key'] },
  ttl: { AccessToken: 3600, DeviceCode: 600, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 600 },
});

// Every interaction completes at once: log in as `alice`, then consent to what was asked.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    result = { login: { accountId: 'alice' } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
