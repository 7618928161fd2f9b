import { Field, Float, ID, InputType, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { DateScalar } from "../graphql/scalars";
import { connectionType } from "../graphql/connection.types";

@InputType("LabLoadInput")
export class LabLoadInput {
  @Field(() => Int)
  queuedJobs!: number;

  @Field(() => Int)
  queuedSheets!: number;

  @Field(() => Float, { description: "0 (idle) to 1 (full); may exceed 1 when overbooked." })
  utilisation!: number;
}

@ObjectType("LabLoadPayload")
export class LabLoadPayload {
  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@InputType("PrintHistoryInput")
export class PrintHistoryInput {
  @Field(() => ID)
  jobId!: string;

  @Field(() => Date)
  printedAt!: Date;

  @Field(() => Int)
  sheets!: number;

  @Field(() => String, { nullable: true })
  printer?: string | null;

  @Field(() => Boolean)
  ok!: boolean;
}

@ObjectType("PrintHistoryPayload")
export class PrintHistoryPayload {
  @Field(() => Int, { description: "How many entries were stored now; entries already stored are not counted again." })
  stored!: number;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("LabLoadReport", { description: "One load report of a lab." })
export class LabLoadReportType {
  @Field(() => Date)
  reportedAt!: Date;

  @Field(() => Int)
  queuedJobs!: number;

  @Field(() => Int)
  queuedSheets!: number;

  @Field(() => Float, { description: "0 (idle) to 1 (full) or more (overbooked)." })
  utilisation!: number;
}

@ObjectType("LabPrintDay", { description: "What a lab reported printing on one business date." })
export class LabPrintDayType {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Int, { description: "Sheets of the jobs printed successfully." })
  sheets!: number;

  @Field(() => Int, { description: "Jobs printed successfully." })
  jobsCompleted!: number;

  @Field(() => Int, { description: "Jobs the lab reported as failed prints." })
  failures!: number;
}

@ObjectType("LabPrintStats", { description: "A lab's printing over whole business dates, from its reported print history." })
export class LabPrintStatsType {
  @Field(() => ID)
  labId!: string;

  @Field(() => DateScalar)
  from!: string;

  @Field(() => DateScalar)
  to!: string;

  @Field(() => [LabPrintDayType], { description: "Every business date from `from` to `to`, days without prints included." })
  days!: LabPrintDayType[];

  @Field(() => Int)
  sheetsPrinted!: number;

  @Field(() => Int)
  jobsCompleted!: number;

  @Field(() => Int)
  failures!: number;

  @Field(() => Float, { description: "sheetsPrinted per hour over the period, counting 24 hours per business date." })
  throughputSheetsPerHour!: number;
}

export const LabLoadReportConnection = connectionType(
  "LabLoadReport",
  LabLoadReportType,
  "A lab's load reports, newest first, a page at a time (cursor-based).",
);
