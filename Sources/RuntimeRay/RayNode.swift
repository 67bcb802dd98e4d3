import RuntimeCore

/// A node of the Ray cluster, as the state API (`GET /api/v0/nodes`) lists it.
public struct RayNode: Sendable, Equatable {
    /// `node_id`: the id a job's ``RayJobInfo/driverNodeID`` names.
    public var nodeID: String
    /// `node_ip`: the node's address in the cluster.
    public var address: String
    /// `is_head_node`.
    public var isHead: Bool
    /// `state`: `ALIVE` or `DEAD`.
    public var state: String
    /// `resources_total`: every resource the node has, logical CPUs (`CPU`),
    /// `memory` in bytes and custom resources by name.
    public var resources: [String: Double]
    /// `labels`: Ray's and the node's own labels.
    public var labels: [String: String]

    /// A node.
    public init(nodeID: String, address: String = "", isHead: Bool = false, state: String = "ALIVE",
                resources: [String: Double] = [:], labels: [String: String] = [:]) {
        self.nodeID = nodeID
        self.address = address
        self.isHead = isHead
        self.state = state
        self.resources = resources
        self.labels = labels
    }

    /// Whether the node is up (`ALIVE`).
    public var isAlive: Bool { state == "ALIVE" }

    /// Reads one element of the state API's list; nil without a string `node_id`.
    public init?(json: JSONValue) {
        guard let nodeID = json["node_id"]?.stringValue else { return nil }
        var resources: [String: Double] = [:]
        for (name, amount) in json["resources_total"]?.objectValue ?? [] {
            if let number = amount.doubleValue { resources[name] = number }
        }
        var labels: [String: String] = [:]
        for (name, value) in json["labels"]?.objectValue ?? [] {
            if let text = value.stringValue { labels[name] = text }
        }
        self.init(nodeID: nodeID, address: json["node_ip"]?.stringValue ?? "",
                  isHead: json["is_head_node"]?.boolValue ?? false, state: json["state"]?.stringValue ?? "",
                  resources: resources, labels: labels)
    }
}
