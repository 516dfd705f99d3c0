// Shared OpenAPI response fragments.
import { PROBLEM_CONTENT_TYPE, problemSchema } from "./problem";

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});
