import Foundation
import Testing
@testable import RuntimeCore

/// `display` bundles (matplotlib figures, PIL images, IPython's `_repr_*_`
/// methods), their size cap, and the original server's jsonpickle format.
@Suite(.timeLimit(.minutes(3)))
struct DisplayTests {
    static let program = #"""
import matplotlib
import matplotlib.pyplot as plt
from PIL import Image
from runtimeBridge import save_placeholder as save

fig, ax = plt.subplots()
ax.plot([1, 2, 3])
save("fig", fig)
save("img", Image.new("RGB", (4, 3), (255, 0, 0)))
save("noise", Image.effect_noise((300, 300), 64))

class Html:
    def _repr_html_(self):
        return "<b>hi</b>"
    def __repr__(self):
        return "Html()"

save("html", Html())
save("plain", 5)
backend = matplotlib.get_backend()
"""#

    static let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    private func pngBytes(_ display: JSONValue?) -> [UInt8] {
        guard let text = display?["image/png"]?.stringValue, let data = Data(base64Encoded: text) else { return [] }
        return Array(data.prefix(8))
    }

    @Test func figuresImagesAndReprMethods() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["plots.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(try await session.value("backend").stringValue?.lowercased() == "agg")

        let figure = try await session.readPlaceholder(named: "fig", window: nil)
        #expect(pngBytes(figure.display) == Self.pngMagic)
        #expect(figure.display?["text/plain"]?.stringValue?.hasPrefix("<Figure size 640x480") == true)
        #expect(figure.display?["truncated"] == nil)

        let image = try await session.readPlaceholder(named: "img", window: nil)
        #expect(pngBytes(image.display) == Self.pngMagic)
        #expect(image.display?["image/jpeg"] == nil)

        let html = try await session.readPlaceholder(named: "html", window: nil)
        #expect(html.display?.jsonString == #"{"text/plain":"Html()","text/html":"<b>hi</b>"}"#)
        #expect(html.value == "Html()")

        #expect(try await session.readPlaceholder(named: "plain", window: nil).display == nil)
        await runtime.shutdown()
    }

    @Test func contentsOverTheCapAreNamedNotSent() async throws {
        let runtime = TestSupport.runtime { $0.displayByteLimit = 4000 }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["plots.py": Self.program])
        let noise = try await session.readPlaceholder(named: "noise", window: nil)
        #expect(noise.display?["truncated"] == ["image/png"], "\(String(describing: noise.display))")
        #expect(noise.display?["image/png"] == nil)
        #expect(noise.display?["text/plain"]?.stringValue?.hasPrefix("<PIL.Image.Image image mode=L size=300x300") == true)
        // A small image still fits.
        #expect(pngBytes(try await session.readPlaceholder(named: "img", window: nil).display) == Self.pngMagic)
        await runtime.shutdown()
    }

    @Test func noDisplayWhenTheCapIsZero() async throws {
        let runtime = TestSupport.runtime { $0.displayByteLimit = 0 }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["plots.py": Self.program])
        #expect(try await session.readPlaceholder(named: "img", window: nil).display == nil)
        await runtime.shutdown()
    }

    static let picklingProgram = #"""
import json
import numpy as np
import pandas as pd
import jsonpickle.pickler, jsonpickle.ext.numpy, jsonpickle.ext.pandas
from runtimeBridge import save_placeholder as save

jsonpickle.ext.numpy.register_handlers()
jsonpickle.ext.pandas.register_handlers()

class Point:
    def __init__(self):
        self.x = 1
        self.y = [2.5, "a", {"k": None}]

values = {"df": pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, 1.5]}),
          "arr": np.arange(6, dtype=np.int64).reshape(2, 3),
          "pt": Point()}
for name, value in values.items():
    save(name, value)
    save(name + "_json", json.dumps(jsonpickle.pickler.Pickler().flatten(value)))
"""#

    @Test func jsonpickleFormatIsWhatJsonpickleItselfGives() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["pickled.py": Self.picklingProgram])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        for name in ["df", "arr", "pt"] {
            let read = try await session.readPlaceholder(named: name, window: nil, options: ValueReadOptions(format: .jsonpickle))
            let text = try #require(try await session.value(name + "_json").stringValue)
            let expected = try JSONParser.parse(text)
            #expect(read.value == expected, "\(name): \(read.value)")
            #expect(read.format == "jsonpickle")
            #expect(read.dtypes == nil && read.display == nil && read.window == nil)
        }
        let point = try await session.readPlaceholder(named: "pt", window: nil, options: ValueReadOptions(format: .jsonpickle))
        #expect(point.value["py/object"] == "__main__.Point")
        await runtime.shutdown()
    }
}
