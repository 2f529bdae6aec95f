/** The shell: who is signed in, the header, the theme, and which page a path shows. */
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, onUnauthenticated } from "./api/client.js";
import type { User } from "./api/types.js";
import { ErrorBanner, Loading } from "./components/feedback.js";
import { Link, matchPath, navigate, useLocation } from "./core/router.js";
import { useApi, useTitle } from "./core/use-api.js";
import { EnvironmentsPage } from "./pages/environments.js";
import { FlagsPage } from "./pages/flags.js";
import { HomePage } from "./pages/home.js";
import { RepoRunsPage } from "./pages/repo-runs.js";
import { RepoSettingsPage } from "./pages/repo-settings.js";
import { RunPage } from "./pages/run.js";
import { RunnersPage } from "./pages/runners.js";
import { SecretsPage } from "./pages/secrets.js";
import { SecurityPage } from "./pages/security.js";
import { TestsPage } from "./pages/repo-tests.js";
import { Logo, SignInPage } from "./pages/sign-in.js";
import { NewRepositoryPage } from "./pages/new-repository.js";
import { UserSettingsPage } from "./pages/user-settings.js";
import { WorkflowsPage } from "./pages/workflows.js";

type Theme = "system" | "light" | "dark";
const THEME_KEY = "slipway-theme";

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? "system");
  useEffect(() => {
    if (theme === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  const cycle = useCallback(() => setTheme((t) => (t === "system" ? "dark" : t === "dark" ? "light" : "system")), []);
  return [theme, cycle];
}

function Header({ user, onSignOut, theme, cycleTheme }: { user: User; onSignOut: () => void; theme: Theme; cycleTheme: () => void }) {
  return (
    <header className="topbar">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Link to="/" className="brand" aria-label="Slipway home">
        <Logo /> <span>Slipway</span>
      </Link>
      <nav className="topnav" aria-label="Main">
        <Link to="/">Runs</Link>
        <Link to="/settings">Settings</Link>
      </nav>
      <div className="topbar-right">
        <button type="button" className="btn btn-plain btn-small theme-toggle" onClick={cycleTheme} aria-label={`Theme: ${theme}. Change theme`} title={`Theme: ${theme}`}>
          {theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}
          <span className="theme-name">{theme}</span>
        </button>
        <span className="user-login" data-testid="user-login">
          {user.login}
        </span>
        <button type="button" className="btn btn-small" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

const TABS = [
  { path: "", label: "Runs" },
  { path: "/workflows", label: "Workflows" },
  { path: "/tests", label: "Tests" },
  { path: "/runners", label: "Runners" },
  { path: "/secrets", label: "Secrets and variables" },
  { path: "/environments", label: "Environments" },
  { path: "/flags", label: "Flags" },
  { path: "/security", label: "Security" },
  { path: "/settings", label: "Settings" },
];

function RepoPage({ owner, name, tab }: { owner: string; name: string; tab: string }) {
  const repo = `${owner}/${name}`;
  const info = useApi((signal) => api.getRepository(repo, signal), [repo]);
  const defaultBranch = info.data?.default_branch ?? "main";
  useTitle(`${TABS.find((t) => t.path === tab)?.label ?? "Runs"} · ${repo}`);
  let body;
  switch (tab) {
    case "/workflows":
      body = <WorkflowsPage repo={repo} defaultBranch={defaultBranch} />;
      break;
    case "/tests":
      body = <TestsPage repo={repo} />;
      break;
    case "/runners":
      body = <RunnersPage repo={repo} />;
      break;
    case "/secrets":
      body = <SecretsPage repo={repo} />;
      break;
    case "/environments":
      body = <EnvironmentsPage repo={repo} />;
      break;
    case "/flags":
      body = <FlagsPage repo={repo} />;
      break;
    case "/security":
      body = <SecurityPage repo={repo} />;
      break;
    case "/settings":
      body = <RepoSettingsPage repo={repo} repository={info.data} />;
      break;
    default:
      body = <RepoRunsPage repo={repo} />;
  }
  return (
    <main id="main" className="page">
      <div className="repo-head">
        <h1 className="repo-title">
          <Link to="/">{owner}</Link> / <Link to={`/${repo}`}>{name}</Link>
        </h1>
        <nav className="tabs" aria-label="Repository">
          {TABS.map((t) => (
            <Link key={t.path} to={`/${repo}${t.path}`} className={`tab${tab === t.path ? " active" : ""}`} aria-current={tab === t.path ? "page" : undefined}>
              {t.label}
            </Link>
          ))}
        </nav>
      </div>
      {body}
    </main>
  );
}

function Routes({ user }: { user: User }) {
  const { path } = useLocation();
  let m = matchPath("/:owner/:repo/actions/runs/:run/job/:job", path);
  if (m)
    return (
      <main id="main" className="page page-wide">
        <RunPage repo={`${m.owner}/${m.repo}`} runId={Number(m.run)} jobId={Number(m.job)} />
      </main>
    );
  m = matchPath("/:owner/:repo/actions/runs/:run", path);
  if (m)
    return (
      <main id="main" className="page page-wide">
        <RunPage repo={`${m.owner}/${m.repo}`} runId={Number(m.run)} />
      </main>
    );
  if (path === "/settings") return <UserSettingsPage user={user} />;
  if (path === "/new") return <NewRepositoryPage defaultOwner={user.login} />;
  m = matchPath("/:owner/:repo/:tab", path);
  if (m && TABS.some((t) => t.path === `/${m!.tab}`)) return <RepoPage owner={m.owner!} name={m.repo!} tab={`/${m.tab}`} />;
  m = matchPath("/:owner/:repo", path);
  if (m) return <RepoPage owner={m.owner!} name={m.repo!} tab="" />;
  if (path === "/" || path === "/login") return <HomePage />;
  return (
    <main id="main" className="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/">Go to recent runs</Link>.
      </p>
    </main>
  );
}

export function App() {
  const [theme, cycleTheme] = useTheme();
  const [user, setUser] = useState<User | null>();
  const [reason, setReason] = useState<string>();
  const [bootError, setBootError] = useState<ApiError>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setBootError(undefined);
    api
      .currentUser(controller.signal)
      .then(setUser)
      .catch((e: ApiError) => {
        if (e.name === "AbortError") return;
        if (e.kind === "unauthenticated") setUser(null);
        else {
          setBootError(e);
          if (e.kind === "offline") window.setTimeout(() => setAttempt((a) => a + 1), 5000);
        }
      });
    return () => controller.abort();
  }, [attempt]);

  useEffect(
    () =>
      onUnauthenticated(() => {
        setUser(null);
        setReason("Your session has expired. Sign in again to continue where you were.");
      }),
    [],
  );

  const signOut = async () => {
    try {
      await api.signOut();
    } catch {
      // Signing out of a server that is gone still forgets the user here.
    }
    setReason(undefined);
    setUser(null);
    navigate("/");
  };

  if (user === undefined) {
    return (
      <main id="main" className="page boot">
        {bootError ? <ErrorBanner error={bootError} onRetry={() => setAttempt((a) => a + 1)} what="Slipway" /> : <Loading label="Starting" />}
      </main>
    );
  }
  if (user === null)
    return (
      <SignInPage
        reason={reason}
        onSignedIn={(u) => {
          setReason(undefined);
          setUser(u);
          if (window.location.pathname === "/login") navigate("/", { replace: true });
        }}
      />
    );
  return (
    <>
      <Header user={user} onSignOut={signOut} theme={theme} cycleTheme={cycleTheme} />
      <Routes user={user} />
    </>
  );
}
