// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {Merkle} from "../utils/Merkle.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ChannelDispute, CoreChannelState, CoreTransferState} from "../../src/interfaces/Types.sol";

/// @notice Fuzzed nonces, timeouts, amounts, signer keys and merkle trees of the dispute path.
contract AdjudicatorFuzzTest is AdjudicatorBase {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function _state(uint256 nonce) internal view returns (CoreChannelState memory ccs) {
        ccs = singleAssetState(ETH, 0, 0, nonce);
        ccs.merkleRoot = keccak256(abi.encode(nonce));
    }

    function _expectStale(uint256 recorded, uint256 nonce) internal {
        CoreChannelState memory ccs = _state(nonce);
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.StaleChannelNonce.selector, recorded, nonce));
        channel.disputeChannel(ccs, sigA, sigB);
    }

    // ---------------------------------------------------------------- nonces

    function testFuzz_disputeChannel_newerNonceReplaces(uint256 first, uint256 second, uint256 elapsed) public {
        first = bound(first, 0, type(uint64).max - 1);
        second = bound(second, first + 1, type(uint64).max);
        dispute(_state(first));
        ChannelDispute memory before = currentDispute();
        vm.warp(block.timestamp + bound(elapsed, 0, TIMEOUT - 1));
        dispute(_state(second));
        ChannelDispute memory d = currentDispute();
        assertEq(d.nonce, second);
        assertEq(d.channelStateHash, channel.channelStateHash(_state(second)));
        assertEq(d.merkleRoot, keccak256(abi.encode(second)));
        assertEq(d.consensusExpiry, before.consensusExpiry);
        assertEq(d.defundExpiry, before.defundExpiry);
        assertEq(d.round, before.round + 1, "another state: another round");
    }

    function testFuzz_disputeChannel_olderNonceReverts(uint256 first, uint256 second, uint256 elapsed) public {
        first = bound(first, 0, type(uint64).max);
        second = bound(second, 0, first);
        dispute(_state(first));
        vm.warp(block.timestamp + bound(elapsed, 0, TIMEOUT - 1));
        _expectStale(first, second);
        assertEq(currentDispute().nonce, first);
    }

    function testFuzz_disputeChannel_afterDefundWindow(uint256 first, uint256 second, uint256 elapsed) public {
        first = bound(first, 0, type(uint64).max);
        second = bound(second, 0, type(uint64).max);
        dispute(_state(first));
        warpPastDefund();
        vm.warp(block.timestamp + bound(elapsed, 0, 365 days));
        if (second < first) {
            _expectStale(first, second);
        } else {
            dispute(_state(second));
            assertEq(currentDispute().nonce, second);
            assertEq(currentDispute().consensusExpiry, block.timestamp + TIMEOUT);
            // The same state again keeps its round; another state starts the next.
            assertEq(currentDispute().round, second == first ? 1 : 2);
        }
    }

    function testFuzz_disputeChannel_revertsWhenNonceTooLarge(uint256 nonce) public {
        nonce = bound(nonce, uint256(type(uint64).max) + 1, type(uint256).max);
        CoreChannelState memory ccs = _state(nonce);
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.ChannelNonceTooLarge.selector, nonce));
        channel.disputeChannel(ccs, sigA, sigB);
    }

    // ---------------------------------------------------------------- timeouts

    function testFuzz_disputeChannel_timeoutSetsWindows(uint256 timeout, uint256 start) public {
        start = bound(start, 1, type(uint64).max / 2);
        timeout = bound(timeout, 1, (type(uint64).max - start) / 2);
        vm.warp(start);
        CoreChannelState memory ccs = _state(1);
        ccs.timeout = timeout;
        dispute(ccs);
        assertEq(currentDispute().consensusExpiry, start + timeout);
        assertEq(currentDispute().defundExpiry, start + 2 * timeout);

        vm.warp(start + timeout - 1);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        vm.warp(start + 2 * timeout);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        vm.warp(start + timeout + (timeout - 1) / 2); // inside the defund window
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        assertEq(channel.getDefundNonce(ETH), 1);
    }

    /// @dev The windows must end within the 64 bits of time the dispute record keeps.
    function testFuzz_disputeChannel_revertsWhenTimeoutTooLarge(uint256 timeout, uint256 start) public {
        start = bound(start, 1, type(uint64).max / 2);
        timeout = bound(timeout, (type(uint64).max - start) / 2 + 1, type(uint256).max);
        vm.warp(start);
        CoreChannelState memory ccs = _state(1);
        ccs.timeout = timeout;
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.ChannelTimeoutTooLarge.selector, timeout));
        channel.disputeChannel(ccs, sigA, sigB);
    }

    // ---------------------------------------------------------------- amounts

    function testFuzz_defundChannel_exitableEqualsBalancesPlusUnprocessed(
        bool useToken,
        uint128 depositA,
        uint128 depositB,
        uint256 aliceShare,
        uint128 laterA,
        uint128 laterB
    ) public {
        address asset = useToken ? address(token) : ETH;
        depositAlice(asset, depositA);
        depositBob(asset, depositB);
        uint256 total = uint256(depositA) + depositB;
        aliceShare = bound(aliceShare, 0, total);
        CoreChannelState memory ccs = singleAssetState(asset, aliceShare, total - aliceShare, 1);
        depositAlice(asset, laterA);
        depositBob(asset, laterB);
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(asset), uints(0));

        uint256 a = channel.getExitableAmount(asset, alice);
        uint256 b = channel.getExitableAmount(asset, bob);
        assertEq(a, aliceShare + laterA);
        assertEq(b, total - aliceShare + laterB);
        assertEq(a + b, balanceOf(asset, address(channel)), "exactly what the channel holds");
        if (a > 0) channel.exit(asset, alice, payable(alice));
        if (b > 0) channel.exit(asset, bob, payable(bob));
        assertEq(balanceOf(asset, address(channel)), 0);
    }

    function testFuzz_defundChannel_assetNotInStateReturnsDeposits(uint128 a, uint128 b, uint256 index) public {
        depositAlice(address(token), a);
        depositBob(address(token), b);
        CoreChannelState memory ccs = _state(1); // ETH only
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(address(token)), uints(bound(index, 1, type(uint256).max)));
        assertEq(channel.getExitableAmount(address(token), alice), a);
        assertEq(channel.getExitableAmount(address(token), bob), b);
    }

    // ---------------------------------------------------------------- keys

    function testFuzz_disputeChannel_randomKeyFails(uint256 key, bool replaceAlice) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != aliceKey && key != bobKey);
        CoreChannelState memory ccs = _state(1);
        bytes memory sigA = signState(replaceAlice ? key : aliceKey, ccs);
        bytes memory sigB = signState(replaceAlice ? bobKey : key, ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, replaceAlice ? alice : bob));
        channel.disputeChannel(ccs, sigA, sigB);
    }

    function testFuzz_defundTransfer_randomKeyResolutionFails(uint256 key) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != bobKey);
        (CoreTransferState memory cts, bytes memory state) = aliceToBob(keccak256("t"), 1 ether, keccak256("p"));
        disputeSingleTransfer(cts);
        bytes memory resolver = hashlockResolver(keccak256("p"));
        bytes memory sig = sign(key, channel.transferResolutionDigest(cts.transferId, resolver));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, bob));
        vm.prank(carol);
        channel.defundTransfer(cts, state, resolver, sig);
    }

    // ---------------------------------------------------------------- transfers

    function testFuzz_disputeTransfer_anyLeafOfAnyTree(uint256 n, uint256 index, uint256 salt) public {
        n = bound(n, 1, 33);
        index = bound(index, 0, n - 1);
        CoreTransferState[] memory transfers = manyTransfers(n, salt);
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        bytes32[] memory proof = Merkle.proof(leaves, index);
        if (n > 1) {
            // The proof of another leaf does not prove this one.
            uint256 other = (index + 1) % n;
            vm.expectRevert(
                abi.encodeWithSelector(IChannelErrors.TransferNotInMerkleRoot.selector, transfers[index].transferId)
            );
            channel.disputeTransfer(transfers[index], Merkle.proof(leaves, other));
        }
        channel.disputeTransfer(transfers[index], proof);
        assertEq(channel.getTransferDispute(transfers[index].transferId).transferStateHash, leaves[index]);
    }

    function testFuzz_defundTransfer_refundAnyTimeAfterTimeout(uint256 elapsed, address caller) public {
        (CoreTransferState memory cts, bytes memory state) = aliceToBob(keccak256("t"), 3 ether, keccak256("p"));
        disputeSingleTransfer(cts);
        uint256 expiry = channel.getTransferDispute(cts.transferId).transferDisputeExpiry;
        vm.warp(expiry + bound(elapsed, 0, 10 * 365 days));
        vm.prank(caller);
        channel.defundTransfer(cts, state, hashlockResolver(keccak256("p")), "");
        assertEq(channel.getExitableAmount(ETH, alice), 3 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
    }
}
