/** The repository's workflows; those with workflow_dispatch get a form built from their inputs. */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import type { DispatchInput, Workflow } from "../api/types.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { navigate } from "../core/router.js";
import { useApi } from "../core/use-api.js";

type Values = Record<string, string | boolean>;

function initialValues(inputs: Record<string, DispatchInput>): Values {
  const values: Values = {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.type === "boolean") values[name] = input.default === true || input.default === "true";
    else if (input.type === "choice") values[name] = input.default !== undefined ? String(input.default) : (input.options?.[0] ?? "");
    else values[name] = input.default !== undefined ? String(input.default) : "";
  }
  return values;
}

/** Field errors for the inputs as GitHub would refuse them. */
function validateInputs(inputs: Record<string, DispatchInput>, values: Values): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const v = values[name];
    if (input.type === "boolean") continue;
    const s = typeof v === "string" ? v.trim() : "";
    if (input.required && s === "") errors[name] = "Required.";
    else if (input.type === "number" && s !== "" && !Number.isFinite(Number(s))) errors[name] = "Must be a number.";
    else if (input.type === "choice" && s !== "" && input.options && !input.options.includes(s)) errors[name] = `Must be one of ${input.options.join(", ")}.`;
  }
  return errors;
}

function DispatchForm({ repo, workflow, defaultBranch }: { repo: string; workflow: Workflow; defaultBranch: string }) {
  const inputs = workflow.dispatch_inputs ?? {};
  const described = workflow.dispatch_inputs !== undefined;
  const [ref, setRef] = useState(defaultBranch);
  const [values, setValues] = useState<Values>(() => initialValues(inputs));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ tone: "success" | "error"; text: string }>();
  const file = workflow.path.split("/").pop() ?? workflow.path;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateInputs(inputs, values);
    if (!ref.trim()) found.__ref = "Required.";
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setResult(undefined);
    try {
      const payload: Record<string, string> = {};
      for (const [k, v] of Object.entries(values)) payload[k] = String(v);
      const answer = await api.dispatchWorkflow(repo, file, ref.trim(), payload);
      setResult({ tone: "success", text: `Dispatched ${workflow.name} on ${ref.trim()}.` });
      const target = answer?.workflow_run_id ? `/${repo}/actions/runs/${answer.workflow_run_id}` : `/${repo}?event=workflow_dispatch`;
      window.setTimeout(() => navigate(target), 800);
    } catch (err) {
      setResult({ tone: "error", text: (err as ApiError).message });
    } finally {
      setBusy(false);
    }
  };

  const id = (name: string) => `in-${workflow.id}-${name}`;
  return (
    <form className="dispatch-form" onSubmit={submit} noValidate aria-label={`Run ${workflow.name}`}>
      {!described && <p className="muted small">The server did not describe this workflow's inputs; their defaults apply.</p>}
      <div className="field">
        <label htmlFor={id("__ref")}>Branch or tag</label>
        <input id={id("__ref")} value={ref} onChange={(e) => setRef(e.target.value)} aria-invalid={!!errors.__ref} required />
        {errors.__ref && <div className="field-error">{errors.__ref}</div>}
      </div>
      {Object.entries(inputs).map(([name, input]) => {
        const err = errors[name];
        const describedBy = [input.description ? `${id(name)}-d` : "", err ? `${id(name)}-e` : ""].filter(Boolean).join(" ") || undefined;
        const label = (
          <>
            {name}
            {input.required && <span className="required" aria-hidden="true"> *</span>}
          </>
        );
        const v = values[name];
        return (
          <div className="field" key={name}>
            {input.type === "boolean" ? (
              <label className="checkbox">
                <input id={id(name)} type="checkbox" checked={v === true} onChange={(e) => setValues({ ...values, [name]: e.target.checked })} aria-describedby={describedBy} /> {label}
              </label>
            ) : (
              <label htmlFor={id(name)}>{label}</label>
            )}
            {input.type === "choice" ? (
              <select id={id(name)} value={String(v)} onChange={(e) => setValues({ ...values, [name]: e.target.value })} aria-describedby={describedBy} aria-invalid={!!err}>
                {(input.options ?? []).map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : input.type === "boolean" ? null : (
              <input
                id={id(name)}
                type={input.type === "number" ? "number" : "text"}
                inputMode={input.type === "number" ? "decimal" : undefined}
                value={String(v ?? "")}
                required={input.required}
                onChange={(e) => setValues({ ...values, [name]: e.target.value })}
                aria-describedby={describedBy}
                aria-invalid={!!err}
              />
            )}
            {input.description && (
              <div className="field-help muted small" id={`${id(name)}-d`}>
                {input.description}
              </div>
            )}
            {err && (
              <div className="field-error" id={`${id(name)}-e`}>
                {err}
              </div>
            )}
          </div>
        );
      })}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Dispatching…" : "Run workflow"}
      </button>
      {result && <Notice tone={result.tone}>{result.text}</Notice>}
    </form>
  );
}

export function WorkflowsPage({ repo, defaultBranch }: { repo: string; defaultBranch: string }) {
  const workflows = useApi((signal) => api.listWorkflows(repo, signal), [repo]);
  const [open, setOpen] = useState<number>();
  return (
    <section aria-labelledby="wf-title">
      <h2 id="wf-title">Workflows</h2>
      {workflows.error && <ErrorBanner error={workflows.error} onRetry={workflows.reload} what="workflows" />}
      {workflows.loading && <Loading />}
      {workflows.data?.workflows.length === 0 && <Empty title="No workflows">Add a file under .github/workflows.</Empty>}
      <ul className="workflow-list">
        {workflows.data?.workflows.map((w) => {
          const dispatchable = w.dispatch_inputs !== null;
          return (
            <li key={w.id} className="card workflow" data-testid="workflow">
              <div className="workflow-head">
                <div>
                  <strong>{w.name}</strong> <code className="muted small">{w.path}</code>
                  {w.state !== "active" && <span className="chip">{w.state.replace(/_/g, " ")}</span>}
                </div>
                {dispatchable ? (
                  <button className="btn btn-small" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                    Run workflow
                  </button>
                ) : (
                  <span className="muted small">
                    {w.state === "deleted" ? "not on the default branch" : w.errors?.length ? "invalid workflow" : "no workflow_dispatch trigger"}
                  </span>
                )}
              </div>
              {w.errors && w.errors.length > 0 && (
                <ul className="workflow-errors small" data-testid="workflow-errors">
                  {w.errors.map((e) => (
                    <li key={e}>
                      <code>{e}</code>
                    </li>
                  ))}
                </ul>
              )}
              {open === w.id && <DispatchForm repo={repo} workflow={w} defaultBranch={defaultBranch} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
