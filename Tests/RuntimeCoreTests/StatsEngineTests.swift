import Foundation
import Testing
@testable import RuntimeCore

/// get_stats through the real worker, compared with pandas on the same data.
@Suite(.timeLimit(.minutes(5)))
struct StatsEngineTests {
    static let expectedHelper = (try? String(contentsOfFile: "Tests/RuntimeCoreTests/Fixtures/pandas_expected.py", encoding: .utf8)) ?? ""

    private func run(_ main: String) async throws -> (any Session, Runtime) {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": main, "pandas_expected.py": Self.expectedHelper])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        return (session, runtime)
    }

    private func check(_ session: any Session, _ dataset: String, against expected: String,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let actual = try await NativeStatsEngine().statistics(of: dataset, in: session).decoded()
        let wanted = try await session.value(expected)
        let problems = StatsComparison.mismatches(actual: actual, expected: wanted, path: dataset)
        #expect(problems.isEmpty, "\(problems.prefix(12).joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    @Test func everyColumnKindAndMissingValues() async throws {
        let (session, runtime) = try await run("""
            import numpy as np, pandas as pd, runtimeBridge as rb, pandas_expected as pe
            rng = np.random.default_rng(5)
            n = 500
            x = rng.normal(10, 3, n); x[[3, 77, 400]] = np.nan
            df = pd.DataFrame({
                "x": x,
                "ints": rng.integers(-50, 50, n),
                "nullable": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
                "words": pd.Series(["alpha"] * 200 + ["be"] * 150 + ["c"] * 100 + [None] * 30 + ["délta"] * 20, dtype=object),
                "flags": rng.random(n) > 0.3,
                "when": pd.Series(pd.date_range("2024-01-01", periods=n, freq="h")).where(lambda s: s.index % 11 != 0),
                "constant": np.full(n, 4.0),
                "big": 1e9 + rng.normal(0, 1e-3, n),
                "huge": rng.normal(0, 1e300, n),
                "tiny": rng.normal(0, 1e-300, n),
                "extremes": np.array([np.iinfo(np.int64).max - i for i in range(n // 2)] + [np.iinfo(np.int64).min + i for i in range(n - n // 2)], dtype=np.int64),
            })
            rb.save_placeholder("df", df)
            rb.save_placeholder("df_expected", pe.frame(df, precise=("big",)))
            """)
        try await check(session, "df", against: "df_expected")
        let stats = try await NativeStatsEngine().statistics(of: "df", in: session).decoded()
        let constant = stats["columns"]?.arrayValue?.first { $0["name"] == "constant" }
        #expect(constant?["skewness"] == .null && constant?["kurtosis"] == .null && constant?["std"] == 0.0)
        let words = stats["columns"]?.arrayValue?.first { $0["name"] == "words" }
        #expect(words?["minLength"] == 1 && words?["maxLength"] == 5)
        await runtime.shutdown()
    }

    @Test func everyInputShape() async throws {
        let (session, runtime) = try await run("""
            import numpy as np, pandas as pd, runtimeBridge as rb, pandas_expected as pe
            rng = np.random.default_rng(9)
            s = pd.Series(rng.normal(size=300), name="height")
            rb.save_placeholder("series", s)
            rb.save_placeholder("series_expected", {"rowCount": 300, "columns": [dict(pe.numeric(s), name="height")]})
            unnamed = pd.Series(rng.integers(0, 9, 40))
            rb.save_placeholder("unnamed", unnamed)
            rb.save_placeholder("unnamed_expected", {"rowCount": 40, "columns": [dict(pe.numeric(unnamed), name="unnamed")]})
            a1 = rng.exponential(2.0, 1000).astype(np.float32)
            rb.save_placeholder("a1", a1)
            rb.save_placeholder("a1_expected", {"rowCount": 1000, "columns": [dict(pe.numeric(a1.astype(np.float64)), name="a1")]})
            base = rng.integers(-1000, 1000, (60, 12))
            a2 = base[::2, ::3]
            assert not a2.flags.c_contiguous
            rb.save_placeholder("a2", a2)
            rb.save_placeholder("a2_expected", {"rowCount": 30, "columns": [dict(pe.numeric(a2[:, j]), name=str(j)) for j in range(a2.shape[1])]})
            numbers = [1, 2.5, None, 4, float("nan"), -3]
            rb.save_placeholder("numbers", numbers)
            rb.save_placeholder("numbers_expected", {"rowCount": 6, "columns": [dict(pe.numeric(pd.Series(numbers, dtype="float64")), name="numbers")]})
            records = [{"a": i, "b": "xy"[i % 2], "c": None if i % 4 == 0 else i / 3} for i in range(50)]
            rb.save_placeholder("records", records)
            rb.save_placeholder("records_expected", pe.frame(pd.DataFrame(records)))
            columns = {"p": list(range(20)), "q": [str(i % 3) for i in range(20)], "r": np.linspace(0, 1, 20)}
            rb.save_placeholder("columns", columns)
            rb.save_placeholder("columns_expected", pe.frame(pd.DataFrame(columns)))
            empty = pd.DataFrame({"e": pd.Series([], dtype="float64")})
            rb.save_placeholder("empty", empty)
            rb.save_placeholder("empty_expected", pe.frame(empty))
            one = pd.DataFrame({"v": [42.0]})
            rb.save_placeholder("one", one)
            rb.save_placeholder("one_expected", pe.frame(one))
            missing = pd.Series([np.nan] * 5, name="m")
            rb.save_placeholder("missing", missing)
            rb.save_placeholder("missing_expected", {"rowCount": 5, "columns": [dict(pe.numeric(missing), name="m")]})
            # Labels that are not strings are named with str(), as in dtypes.
            labels = pd.DataFrame(np.arange(6.0).reshape(3, 2))
            labels[("a", "x")] = ["p", "q", "p"]
            rb.save_placeholder("labels", labels)
            rb.save_placeholder("labels_expected", pe.frame(labels))
            numbered = pd.Series([1.5, 2.5], name=5)
            rb.save_placeholder("numbered", numbered)
            rb.save_placeholder("numbered_expected", {"rowCount": 2, "columns": [dict(pe.numeric(numbered), name="5")]})
            """)
        for name in ["series", "unnamed", "a1", "a2", "numbers", "records", "columns", "empty", "one", "missing", "labels", "numbered"] {
            try await check(session, name, against: name + "_expected")
        }
        await runtime.shutdown()
    }

    @Test(arguments: [10, 1_000, 100_000, 1_000_000])
    func seededRandomDataOfSeveralDistributions(_ rows: Int) async throws {
        let (session, runtime) = try await run("""
            import numpy as np, pandas as pd, runtimeBridge as rb, pandas_expected as pe
            rng = np.random.default_rng(\(rows))
            n = \(rows)
            df = pd.DataFrame({
                "normal": rng.normal(0, 1, n),
                "lognormal": rng.lognormal(0, 2, n),
                "exponential": rng.exponential(1e6, n),
                "uniform_int": rng.integers(-10**9, 10**9, n),
                "small_int": rng.integers(0, 7, n).astype(np.int8),
                "around_1e9": 1e9 + rng.normal(0, 1e-4, n),
                "unsigned": rng.integers(0, 2**40, n, dtype=np.uint64),
            })
            rb.save_placeholder("df", df)
            rb.save_placeholder("expected", pe.frame(df, precise=("around_1e9",)))
            """)
        try await check(session, "df", against: "expected")
        await runtime.shutdown()
    }

    @Test func notADataset() async throws {
        let (session, runtime) = try await run("""
            import numpy as np
            class Model:
                def predict(self, x): return x
            model = Model()
            text = "hello"
            cube = np.zeros((2, 2, 2))
            ragged = {"a": [1, 2], "b": [1]}
            nested = [[1, 2], [3]]
            """)
        for name in ["model", "text", "cube", "ragged", "nested"] {
            await #expect {
                try await NativeStatsEngine().statistics(of: name, in: session)
            } throws: { ($0 as? RuntimeError)?.code == .notADataset }
        }
        await #expect { try await NativeStatsEngine().statistics(of: "nothing", in: session) } throws: {
            ($0 as? RuntimeError)?.code == .placeholderNotFound
        }
        await runtime.shutdown()
    }

    /// Columns numpy cannot bin ("Too many bins for data range") used to kill
    /// the worker (a trap in the histogram) and lose the session's values.
    /// Their statistics now come back with one bucket [v, v], and the
    /// session keeps serving.
    @Test func columnsNumpyCannotBinKeepTheSession() async throws {
        let (session, runtime) = try await run("""
            import numpy as np, pandas as pd
            floats = [1e17, 1e17]
            huge = np.array([1e300, 1e300])
            ints = np.array([2**62, 2**62], dtype=np.int64)
            near = [2**61, 2**61 + 1]
            when = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-01-01"])})
            wide = [-1e308, 1e308]
            kept = 42
            """)
        for name in ["floats", "huge", "ints", "near", "when", "wide"] {
            let stats = try await NativeStatsEngine().statistics(of: name, in: session).decoded()
            let column = stats["columns"]?.arrayValue?.first
            let buckets = column?["histogram"]?.arrayValue ?? []
            #expect(!buckets.isEmpty, "\(name): \(stats)")
            #expect(buckets.reduce(0) { $0 + ($1["count"]?.intValue ?? 0) } == 2, "\(name): \(buckets)")
        }
        let floats = try await NativeStatsEngine().statistics(of: "floats", in: session).decoded()
        #expect(floats["columns"]?.arrayValue?.first?["histogram"] == [["min": 1e17, "max": 1e17, "count": 2]])
        #expect(try await session.value("kept") == 42)
        await runtime.shutdown()
    }

    /// Every float width numpy has (float16 and longdouble too) and arrays
    /// in the other byte order are numeric columns with their statistics.
    @Test func everyFloatWidthAndByteOrder() async throws {
        let (session, runtime) = try await run("""
            import numpy as np, pandas as pd
            half = np.array([1.0, 2.0, 4.0], dtype=np.float16)
            long = pd.Series(np.array([1.0, 2.0, 4.0], dtype=np.longdouble))
            frame = pd.DataFrame({"h": half, "l": np.array([1, 2, 4], dtype=np.longdouble), "d": [1.0, 2.0, 4.0]})
            swapped = np.array([1.0, 2.0, 4.0], dtype=">f8")
            swapped_ints = np.array([1, 2, 4], dtype=">i4")
            """)
        for name in ["half", "long", "swapped", "swapped_ints"] {
            let stats = try await NativeStatsEngine().statistics(of: name, in: session).decoded()
            let column = stats["columns"]?.arrayValue?.first
            #expect(column?["kind"] == "numeric", "\(name): \(stats)")
            #expect(abs((column?["mean"]?.doubleValue ?? 0) - 7.0 / 3) < 1e-12, "\(name): \(stats)")
            #expect(column?["max"]?.doubleValue == 4, "\(name): \(stats)")
        }
        let frame = try await NativeStatsEngine().statistics(of: "frame", in: session).decoded()
        #expect(frame["columns"]?.arrayValue?.map { $0["kind"] } == ["numeric", "numeric", "numeric"], "\(frame)")
        #expect(frame["columns"]?.arrayValue?.map { $0["sum"]?.doubleValue } == [7, 7, 7], "\(frame)")
        await runtime.shutdown()
    }

    /// A list of Python ints past int64 is still a list of numbers (as
    /// floats, pandas' object column); int64 ones stay exact.
    @Test func listsOfIntsPastInt64() async throws {
        let (session, runtime) = try await run("""
            big = [2**70, 1]
            exact = [2**63 - 1, -2**63]
            columns = {"big": [2**70, 1], "small": [1, 2]}
            """)
        let big = try await NativeStatsEngine().statistics(of: "big", in: session).decoded()
        let column = big["columns"]?.arrayValue?.first
        #expect(column?["kind"] == "numeric" && column?["dtype"] == "object" && column?["max"] == .double(0x1p70))
        let exact = try await NativeStatsEngine().statistics(of: "exact", in: session).decoded()
        #expect(exact["columns"]?.arrayValue?.first?["max"] == .int(Int64.max))
        let columns = try await NativeStatsEngine().statistics(of: "columns", in: session).decoded()
        #expect(columns["columns"]?.arrayValue?.map { $0["dtype"] } == ["object", "int64"])
        await runtime.shutdown()
    }

    /// Datetime statistics are computed on the distances from the column's
    /// earliest timestamp: as doubles the timestamps themselves kept only
    /// 256 ns, so quartiles of microsecond data lay outside the column's min
    /// and max, and a mean of whole hours came out 256 ns short (found by
    /// this session's adversarial tester). Pandas truncates to the column's
    /// unit (µs here); these are exact to the nanosecond.
    @Test func datetimeStatisticsAreExact() async throws {
        let (session, runtime) = try await run("""
            import pandas as pd
            micro = pd.DataFrame({"t": pd.to_datetime(["2024-05-01 00:00:00.000001", "2024-05-01 00:00:00.000002",
                                                       "2024-05-01 00:00:00.000004"])})
            hours = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=101, freq="17h")})
            hours_tz = hours.assign(t=hours["t"].dt.tz_localize("UTC"))
            import numpy as np, datetime
            centuries = pd.Series(np.array(["1700-01-01", "2200-12-31", "1950-06-15"], dtype="datetime64[s]"))
            beyond = [datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31)]
            """)
        let micro = try #require(try await NativeStatsEngine().statistics(of: "micro", in: session).decoded()["columns"]?[0])
        #expect(micro["min"] == "2024-05-01T00:00:00.000001" && micro["max"] == "2024-05-01T00:00:00.000004")
        #expect(micro["quartiles"] == ["2024-05-01T00:00:00.000001", "2024-05-01T00:00:00.000001500", "2024-05-01T00:00:00.000002",
                                       "2024-05-01T00:00:00.000003", "2024-05-01T00:00:00.000004"], "\(micro)")
        #expect(micro["median"] == "2024-05-01T00:00:00.000002" && micro["mean"] == "2024-05-01T00:00:00.000002333")
        #expect(micro["histogram"]?[0]?["min"] == micro["min"] && micro["histogram"]?.arrayValue?.last?["max"] == micro["max"])
        for (name, zone) in [("hours", ""), ("hours_tz", "+00:00")] {
            let hours = try #require(try await NativeStatsEngine().statistics(of: name, in: session).decoded()["columns"]?[0])
            #expect(hours["mean"] == .string("2020-02-05T10:00:00" + zone) && hours["median"] == hours["mean"], "\(hours)")
            #expect(hours["quartiles"] == .array(["2020-01-01T00:00:00", "2020-01-18T17:00:00", "2020-02-05T10:00:00",
                                                  "2020-02-23T03:00:00", "2020-03-11T20:00:00"].map { .string($0 + zone) }))
        }
        // A range of five centuries (its distances from the earliest
        // overflowed 64 bits; found by this session's second adversarial
        // tester): as pandas.
        let centuries = try #require(try await NativeStatsEngine().statistics(of: "centuries", in: session).decoded()["columns"]?[0])
        #expect(centuries["mean"] == "1950-06-26T16:00:00" && centuries["median"] == "1950-06-15T00:00:00", "\(centuries)")
        #expect(centuries["quartiles"] == ["1700-01-01T00:00:00", "1825-03-24T12:00:00", "1950-06-15T00:00:00",
                                           "2075-09-22T00:00:00", "2200-12-31T00:00:00"])
        // Dates nanoseconds cannot hold are counted, not wrapped around.
        let beyond = try #require(try await NativeStatsEngine().statistics(of: "beyond", in: session).decoded()["columns"]?[0])
        #expect(beyond["kind"] == "other" && beyond["count"] == 2 && beyond["min"] == nil, "\(beyond)")
        await runtime.shutdown()
    }

    /// A list of datetimes is a dataset of one datetime column (it was
    /// NOT_A_DATASET, though a list of other scalars is one).
    @Test func aListOfDatetimesIsADataset() async throws {
        let (session, runtime) = try await run("""
            import datetime
            when = [datetime.datetime(2024, 1, 1), None, datetime.datetime(2024, 1, 3)]
            """)
        let stats = try await NativeStatsEngine().statistics(of: "when", in: session).decoded()
        let column = try #require(stats["columns"]?[0])
        #expect(stats["rowCount"] == 3 && column["name"] == "when" && column["kind"] == "datetime", "\(stats)")
        #expect(column["count"] == 2 && column["missing"] == 1 && column["median"] == "2024-01-02T00:00:00")
        await runtime.shutdown()
    }

    /// A tz-aware column's datetime statistics are in its own zone, with the
    /// offset, as its values read (they were UTC without an offset).
    @Test func timeZoneAwareColumnsKeepTheirOffset() async throws {
        let (session, runtime) = try await run("""
            import pandas as pd
            import datetime
            from dateutil import tz
            paris = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-06-01"]).tz_localize("Europe/Paris")})
            naive = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-06-01"])})
            # Zones that are not IANA names (found in review): a fixed offset
            # named like a zone, and dateutil's objects.
            fixed = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-06-01"]).tz_localize(
                datetime.timezone(datetime.timedelta(hours=1), "CET"))})
            offset = pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).tz_localize(tz.tzoffset(None, 3600))})
            gettz = pd.DataFrame({"t": pd.to_datetime(["2024-06-01"]).tz_localize(tz.gettz("Europe/Paris"))})
            """)
        let paris = try await NativeStatsEngine().statistics(of: "paris", in: session).decoded()
        let column = paris["columns"]?.arrayValue?.first
        #expect(column?["min"] == "2024-01-01T00:00:00+01:00" && column?["max"] == "2024-06-01T00:00:00+02:00", "\(paris)")
        #expect(column?["histogram"]?.arrayValue?.first?["min"] == "2024-01-01T00:00:00+01:00")
        let naive = try await NativeStatsEngine().statistics(of: "naive", in: session).decoded()
        #expect(naive["columns"]?.arrayValue?.first?["min"] == "2024-01-01T00:00:00")
        for (name, min, max) in [("fixed", "2024-01-01T00:00:00+01:00", "2024-06-01T00:00:00+01:00"),
                                 ("offset", "2024-01-01T00:00:00+01:00", "2024-01-01T00:00:00+01:00"),
                                 ("gettz", "2024-06-01T00:00:00+02:00", "2024-06-01T00:00:00+02:00")] {
            let stats = try await NativeStatsEngine().statistics(of: name, in: session).decoded()
            let column = stats["columns"]?.arrayValue?.first
            #expect(column?["min"] == .string(min) && column?["max"] == .string(max), "\(name): \(stats)")
        }
        await runtime.shutdown()
    }
}
