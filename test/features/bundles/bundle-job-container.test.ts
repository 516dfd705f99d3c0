// The production job container's environment: its own S3 key and the signing secret, or no container.
import { describe, expect, it } from "vitest";
import { jobContainerEnv } from "../../../src/features/bundles/bundle-job-container";

const worker = {
  AWS_BUCKET_NAME: "media",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIAWORKER",
  AWS_SECRET_ACCESS_KEY: "worker-full-rights",
  JOB_SERVICE_SECRET: "a-job-service-secret-of-32-characters!",
};

describe("the bundle job container's environment", () => {
  it("is given the job's own S3 key, the signing secret, and listens on its interface", () => {
    const r = jobContainerEnv({ ...worker, JOB_AWS_ACCESS_KEY_ID: "AKIAJOB", JOB_AWS_SECRET_ACCESS_KEY: "job-narrow" });
    expect(r).toEqual({
      env: expect.objectContaining({
        AWS_ACCESS_KEY_ID: "AKIAJOB",
        AWS_SECRET_ACCESS_KEY: "job-narrow",
        JOB_SERVICE_SECRET: worker.JOB_SERVICE_SECRET,
        HOST: "0.0.0.0",
      }),
    });
  });

  it("never falls back to the Worker's full-rights key: without its own, it is not started", () => {
    expect(jobContainerEnv(worker)).toEqual({ missing: ["JOB_AWS_ACCESS_KEY_ID", "JOB_AWS_SECRET_ACCESS_KEY"] });
    const { JOB_SERVICE_SECRET: _s, ...noSecret } = worker;
    expect(jobContainerEnv({ ...noSecret, JOB_AWS_ACCESS_KEY_ID: "a", JOB_AWS_SECRET_ACCESS_KEY: "b" })).toEqual({
      missing: ["JOB_SERVICE_SECRET"],
    });
  });
});
