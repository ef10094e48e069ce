// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// TEMPORARY: per-call gas of the dispute path, measured before and after a change. Deleted after.
import {console} from "forge-std/console.sol";
import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {Merkle} from "../utils/Merkle.sol";
import {CoreChannelState, CoreTransferState} from "../../src/interfaces/Types.sol";

contract ScratchGasTest is AdjudicatorBase {
    function _g(string memory what) internal view {
        console.log(what, vm.lastCallGas().gasTotalUsed);
    }

    function test_scratchGas() public {
        depositAlice(ETH, 5 ether);
        depositBob(ETH, 5 ether);
        depositAlice(address(token), 10e18);
        CoreTransferState[] memory ts = new CoreTransferState[](2);
        bytes[] memory st = new bytes[](2);
        (ts[0], st[0]) = aliceToBob(keccak256("t0"), 1 ether, bytes32(uint256(1)));
        (ts[1], st[1]) = aliceToBob(keccak256("t1"), 1 ether, bytes32(uint256(2)));
        bytes32[] memory leaves = leavesOf(ts);
        CoreChannelState memory s1 = twoAssetState(3 ether, 5 ether, 10e18, 0, 5);
        s1.merkleRoot = Merkle.root(leaves);
        CoreChannelState memory s2 = twoAssetState(3 ether, 5 ether, 9e18, 1e18, 6);
        s2.merkleRoot = Merkle.root(leaves);
        bytes memory a1 = signState(aliceKey, s1);
        bytes memory b1 = signState(bobKey, s1);
        bytes memory a2 = signState(aliceKey, s2);
        bytes memory b2 = signState(bobKey, s2);

        channel.disputeChannel(s1, a1, b1);
        _g("disputeChannel: first dispute");
        channel.disputeChannel(s2, a2, b2);
        _g("disputeChannel: newer state in consensus window");
        vm.warp(currentDispute().consensusExpiry);
        channel.defundChannel(s2, addrs(ETH), uints(0));
        _g("defundChannel: one asset");
        channel.defundChannel(s2, addrs(address(token)), uints(1));
        _g("defundChannel: second asset");
        bytes32[] memory p0 = Merkle.proof(leaves, 0);
        bytes32[] memory p1 = Merkle.proof(leaves, 1);
        channel.disputeTransfer(ts[0], p0);
        _g("disputeTransfer: first");
        channel.disputeTransfer(ts[1], p1);
        _g("disputeTransfer: second");
        bytes memory r = hashlockResolver(bytes32(uint256(1)));
        vm.prank(bob);
        channel.defundTransfer(ts[0], st[0], r, "");
        _g("defundTransfer: resolved by responder");
        vm.warp(channel.getTransferDispute(ts[1].transferId).transferDisputeExpiry);
        channel.defundTransfer(ts[1], st[1], "", "");
        _g("defundTransfer: after timeout");
        warpPastDefund();
        channel.disputeChannel(s2, a2, b2);
        _g("disputeChannel: same state again, new round");
        warpPastDefund();
        CoreChannelState memory s3 = twoAssetState(3 ether, 5 ether, 9e18, 1e18, 8);
        s3.defundNonces = uints(2, 2);
        channel.disputeChannel(s3, signState(aliceKey, s3), signState(bobKey, s3));
        _g("disputeChannel: other state, new round");
        vm.warp(currentDispute().consensusExpiry);
        channel.defundChannel(s3, addrs(ETH, address(token)), uints(0, 1));
        _g("defundChannel: two assets, re-defund");
    }
}
