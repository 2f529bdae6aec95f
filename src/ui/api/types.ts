/** The API's JSON as the web UI reads it: the resource types the server writes (protocol's), under the UI's names. */
export type {
  ApiRunStatus as RunStatus,
  ApiConclusion as Conclusion,
  ApiUser as User,
  ApiRepository as Repository,
  ApiWorkflowRun as WorkflowRun,
  ApiStep as Step,
  ApiJob as Job,
  ApiArtifact as Artifact,
  ApiDispatchInput as DispatchInput,
  ApiWorkflow as Workflow,
  ApiRunner as Runner,
  ApiSecret as Secret,
  ApiEnvironment as Environment,
  ApiVariable as Variable,
  ApiTokenResource as ApiToken,
  ApiCollaborator as Collaborator,
  ApiIncomingWebhooks as IncomingWebhooks,
  ApiAnnotation as Annotation,
  ApiCheckRun as CheckRun,
  ApiConnectionTest as ConnectionTest,
  ApiRepositoryInput as RepositoryInput,
} from "../../protocol/api.js";
export type {
  ApiDeployment as Deployment,
  ApiDeploymentState as DeploymentState,
  ApiEnvironmentDetail as EnvironmentDetail,
  ApiPendingDeployment as PendingDeployment,
  ApiRollback as Rollback,
  ApiDora as Dora,
  ApiDoraTier as DoraTier,
  ApiDoraBucket as DoraBucket,
  ApiRollout as Rollout,
  ApiRolloutMeasurement as RolloutMeasurement,
} from "../../protocol/api-deployments.js";
export type {
  ApiTestTotals as TestTotals,
  ApiTestCase as TestCase,
  ApiTestResults as TestResults,
  ApiTestStateName as TestStateName,
  ApiFlakyTest as FlakyTest,
  ApiFlakyTests as FlakyTests,
  ApiTestDetail as TestDetail,
  ApiTestSettings as TestSettings,
} from "../../protocol/api-tests.js";

/** A secret-scanning alert; `secret` is always redacted by the server. */
export interface SecretAlert {
  number: number;
  state: "open" | "resolved";
  resolution: "false_positive" | "wont_fix" | "revoked" | "used_in_tests" | null;
  secret_type: string;
  secret_type_display_name: string;
  secret: string;
  created_at: string;
  first_location_detected: { path: string; start_line: number; commit_sha: string } | null;
}
