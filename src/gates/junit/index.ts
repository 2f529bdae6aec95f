export { JUnitReader, parseJUnit, totalTestCases, type ParseJUnitOptions, type TestCaseResult, type TestReport, type TestReportTotals, type TestStatus } from "./parse-junit.js";
